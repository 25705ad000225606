// The probe as one script: a host is read with one exec (`sh -s`, the script and its request on
// stdin, nothing left on the host), or through an installed copy run as an SSH forced command
// (`restrict,command="/usr/local/lib/spine-gates/spine-gates-probe"`), so a CI key can read the
// facts and do nothing else. The same stdin serves both: the forced copy skips the script text it
// already has and reads the request that follows it.
//
// Request (data, never shell text): a `token` line, one line per section, an optional `followup`,
// then `end`. Values (base paths, node and storage names) travel escaped as `\0ooo` for every byte
// outside [A-Za-z0-9/._-] and are decoded by printf %b into variables; the script checks every
// field's shape again itself, since a forced key's holder can send it anything.
//   fixed <id> <cap>                       one of FIXED_COMMANDS, by id
//   listing <id> <cap> <path> <depth>      listingShell
//   storage-status <id> <cap> <node>       storageStatusShell
//   storage-content <id> <cap> <node> <storage>
// After the first sections, `followup` makes the script print a followup frame and read more
// section lines (the storages its own jobs.cfg names) from the same stdin, then `end`.
//
// Output: frames `\0<token> <word> …\n` around each section's raw stdout (NUL-safe: the random
// token cannot be in a file name made before it was drawn): `probe <PROBE_ID>`, then per section
// `begin <id>`, its stdout (a listing's or a storage's cut after cap+1 bytes), `status <exit status>`
// (absent when the command was killed), `end`; `followup`, and `done`. Each section's stderr
// follows a `begin <id>` frame on stderr. Sections run in a subshell with stdin from /dev/null, so
// a command can neither exit the probe nor read the request. Forks are most of the probe's cost on
// a host: a fixed section is one process besides its command, a cut one three.

import { createHash } from 'node:crypto';
import {
  listingShell,
  MAIL_COMMANDS,
  outputCap,
  PVE_COMMANDS,
  PVE_STORAGE_COMMANDS,
  storageContentShell,
  storageStatusShell,
  TIMEZONE_COMMAND,
  type ProbeCommand,
  RESTORE_COMMANDS,
} from './probe.js';

/** Every command the script runs by id. */
export const FIXED_COMMANDS: readonly ProbeCommand[] = [
  TIMEZONE_COMMAND,
  ...PVE_COMMANDS,
  ...PVE_STORAGE_COMMANDS,
  ...MAIL_COMMANDS,
  ...RESTORE_COMMANDS,
];

/** The command `sh -s` mode execs; the script comes on stdin. */
export const PROBE_EXEC = 'sh -s';
/** Where the docs install the forced-command copy. */
export const PROBE_INSTALL_PATH = '/usr/local/lib/spine-gates/spine-gates-probe';

const REQUEST_END = 'SPINE_GATES_REQUEST';
/** The line that starts the request in the probe's stdin, and the lines that end it (after the script's text). */
export const REQUEST_OPEN = `spine_gates_probe 3<&0 <<'${REQUEST_END}'`;
export const REQUEST_CLOSE = `${REQUEST_END}\nexit\n}\n`;

const fixedArms = FIXED_COMMANDS.map((c) => `\t${c.id}) ${c.command} ;;`).join('\n');

const CORE = `spine_gates_fixed() {
\tcase $1 in
${fixedArms}
\t*) exit 127 ;;
\tesac
}
spine_gates_listing() { ${listingShell('"$1"', '"$2"')}; }
spine_gates_storage_status() { ${storageStatusShell('"$1"')}; }
spine_gates_storage_content() { ${storageContentShell('"$1"', '"$2"')}; }

spine_gates_refuse() {
\tprintf '\\0%s refused %s\\n' "$spine_gates_token" "$1"
\texit 2
}

# Decodes a request value (\\0ooo escapes) into spine_gates_value; the x keeps trailing newlines.
spine_gates_decode() {
\tcase $1 in ''|*[!A-Za-z0-9/._\\\\-]*) spine_gates_refuse "$2 is not an escaped value" ;; esac
\tspine_gates_value=$(printf '%bx' "$1")
\tspine_gates_value=\${spine_gates_value%x}
}

# One section: begin frames; the command in a subshell whose EXIT trap prints its exit status (also
# of an exit; none when it was killed); the end frame. A fixed section runs as it is, one process
# (its output is the host's own configuration; the collector holds it to its cap). A listing of a
# requested folder or a storage's content is cut by head after cap + 1 bytes, its status then
# captured on fd 6 (dash has no pipefail).
spine_gates_section() {
\tspine_gates_id=$1 spine_gates_cap=$2
\tshift 2
\tprintf '\\0%s begin %s\\n' "$spine_gates_token" "$spine_gates_id"
\tprintf '\\0%s begin %s\\n' "$spine_gates_token" "$spine_gates_id" >&2
\tif [ "$1" = spine_gates_fixed ]; then
\t\t( trap 'printf "\\0%s status %s\\n" "$spine_gates_token" "$?"' EXIT; "$@" </dev/null 3<&- 5>&- )
\telse
\t\tspine_gates_rc=$( { { trap 'echo "$?" >&6' EXIT; "$@" </dev/null 3<&- 5>&-; } | head -c "$((spine_gates_cap + 1))" >&5; } 6>&1 )
\t\t[ -z "$spine_gates_rc" ] || printf '\\0%s status %s\\n' "$spine_gates_token" "$spine_gates_rc"
\tfi
\tprintf '\\0%s end\\n' "$spine_gates_token"
}

spine_gates_request() {
\tcase $2 in ''|*[!a-z0-9-]*) spine_gates_refuse "bad section id" ;; esac
\tcase $3 in ''|*[!0-9]*|??????????*) spine_gates_refuse "bad cap for $2" ;; esac
\tcase $1 in
\tfixed) spine_gates_section "$2" "$3" spine_gates_fixed "$2" ;;
\tlisting)
\t\tcase $5 in [1-9]|[1-9][0-9]) ;; *) spine_gates_refuse "bad depth for $2" ;; esac
\t\tspine_gates_decode "$4" "the path of $2"
\t\tcase $spine_gates_value in /*) ;; *) spine_gates_refuse "the path of $2 is not absolute" ;; esac
\t\tspine_gates_section "$2" "$3" spine_gates_listing "$spine_gates_value" "$5" ;;
\tstorage-status | storage-content)
\t\tspine_gates_decode "$4" "the node of $2"
\t\tcase $spine_gates_value in [A-Za-z0-9] | [A-Za-z0-9]*[A-Za-z0-9]) ;; *) spine_gates_refuse "bad node for $2" ;; esac
\t\tcase $spine_gates_value in *[!A-Za-z0-9-]*) spine_gates_refuse "bad node for $2" ;; esac
\t\tspine_gates_node=$spine_gates_value
\t\tif [ "$1" = storage-status ]; then
\t\t\tspine_gates_section "$2" "$3" spine_gates_storage_status "$spine_gates_node"
\t\telse
\t\t\tspine_gates_decode "$5" "the storage of $2"
\t\t\tcase $spine_gates_value in [A-Za-z]*[A-Za-z0-9]) ;; *) spine_gates_refuse "bad storage for $2" ;; esac
\t\t\tcase $spine_gates_value in *[!A-Za-z0-9._-]*) spine_gates_refuse "bad storage for $2" ;; esac
\t\t\tspine_gates_section "$2" "$3" spine_gates_storage_content "$spine_gates_node" "$spine_gates_value"
\t\tfi ;;
\t*) spine_gates_refuse "unknown request $1" ;;
\tesac
}

# Section lines until "end"; "followup" (first stage only) is remembered.
spine_gates_requests() {
\twhile read -r spine_gates_kind spine_gates_a spine_gates_b spine_gates_c spine_gates_d; do
\t\tcase $spine_gates_kind in
\t\tend) return 0 ;;
\t\tfollowup) [ "$1" = first ] || spine_gates_refuse "a second followup"; spine_gates_followup=1 ;;
\t\t*) spine_gates_request "$spine_gates_kind" "$spine_gates_a" "$spine_gates_b" "$spine_gates_c" "$spine_gates_d" ;;
\t\tesac
\tdone
\tspine_gates_refuse "the request ended before its end line"
}

# The request on stdin, follow-up lines on fd 3. The C locale makes the shape checks' ranges bytes.
spine_gates_probe() {
\texport LC_ALL=C
\texec 5>&1
\tspine_gates_token=
\tIFS= read -r spine_gates_line
\tcase $spine_gates_line in "token "*) spine_gates_token=\${spine_gates_line#token } ;; esac
\tcase $spine_gates_token in ''|*[!0-9a-f]*) echo "spine-gates-probe: no token line" >&2; exit 2 ;; esac
\tprintf '\\0%s probe %s\\n' "$spine_gates_token" "$spine_gates_probe_id"
\tspine_gates_followup=
\tspine_gates_requests first
\tif [ -n "$spine_gates_followup" ]; then
\t\tprintf '\\0%s followup\\n' "$spine_gates_token"
\t\tspine_gates_requests second <&3
\tfi
\tprintf '\\0%s done\\n' "$spine_gates_token"
\texit 0
}

# As a forced command: skip the script text the client sends along, read the request after it.
spine_gates_forced() {
\texec 3<&0
\twhile IFS= read -r spine_gates_line; do
\t\t[ "$spine_gates_line" = "${REQUEST_OPEN}" ] && break
\tdone
\tspine_gates_request_text=
\twhile IFS= read -r spine_gates_line && [ "$spine_gates_line" != ${REQUEST_END} ]; do
\t\tspine_gates_request_text="$spine_gates_request_text$spine_gates_line
"
\tdone
\tIFS= read -r spine_gates_line && [ "$spine_gates_line" = exit ] && IFS= read -r spine_gates_line && [ "$spine_gates_line" = '}' ] || {
\t\techo "spine-gates-probe: stdin is not a spine-gates probe request" >&2
\t\texit 2
\t}
\tprintf %s "$spine_gates_request_text" | spine_gates_probe
}
`;

/** Names this script's text: the installed copy prints it, and a copy from another version is refused. */
export const PROBE_ID = createHash('sha256').update(CORE).digest('hex').slice(0, 16);

const BODY = `${CORE}spine_gates_probe_id=${PROBE_ID}\n`;

/** The file to install for the forced command (`ops probe-script`). */
export const PROBE_SCRIPT_FILE = `#!/bin/sh
# spine-gates-probe ${PROBE_ID}: prints the facts spine-gates judges, read-only.
# Install as ${PROBE_INSTALL_PATH} (root:root, 0755) and pin the CI key to it in
# ~/.ssh/authorized_keys:  restrict,command="${PROBE_INSTALL_PATH}" ssh-ed25519 AAAA…
# Check it with \`npx ops probe-script --sha256\` (same spine-gates version). See docs/live-collection.md.
${BODY}spine_gates_forced
`;

/** Every byte outside [A-Za-z0-9/._-] as \0ooo (printf %b), so a value is one word of safe characters. */
export function escapeValue(value: string): string {
  if (value.includes('\0')) throw new Error('a probe value cannot contain a NUL byte');
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9/._-]/.test(c) ? c : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** The request line that makes the script run this command. */
export function requestLine(c: ProbeCommand): string {
  const head = `${c.section.kind} ${c.id} ${outputCap(c)}`;
  switch (c.section.kind) {
    case 'fixed':
      return head;
    case 'listing':
      return `${head} ${escapeValue(c.section.path)} ${c.section.depth}`;
    case 'storage-status':
      return `${head} ${escapeValue(c.section.node)}`;
    case 'storage-content':
      return `${head} ${escapeValue(c.section.node)} ${escapeValue(c.section.storage)}`;
  }
}

/** What `sh -s` reads: the script, then its request, in one brace group (parsed whole before it runs, so fd 3 starts exactly after it). */
export function probeStdin(token: string, commands: readonly ProbeCommand[], followUp: boolean): string {
  const lines = [`token ${token}`, ...commands.map(requestLine), ...(followUp ? ['followup'] : []), 'end'];
  return `{\n${BODY}${REQUEST_OPEN}\n${lines.join('\n')}\n${REQUEST_CLOSE}`;
}

/** The follow-up section lines, read by the script after its followup frame. */
export function followUpStdin(commands: readonly ProbeCommand[]): string {
  return [...commands.map(requestLine), 'end'].map((l) => `${l}\n`).join('');
}
