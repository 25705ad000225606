// Small list helpers shared by the PVE parsers.

/** PVE::Tools::split_list: items separated by `,`, `;` or whitespace; empty items dropped. */
export function splitList(text: string): string[] {
  return text.split(/[,;\s]+/).filter((item) => item !== '');
}

export function sortedUnique(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
