/** Shell-style globs: `*` any run of characters, `?` one character; everything else literal. */
export function globMatch(glob: string, value: string): boolean {
  let g = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (g < glob.length && (glob[g] === "?" || glob[g] === value[v])) {
      g++;
      v++;
    } else if (g < glob.length && glob[g] === "*") {
      star = g++;
      mark = v;
    } else if (star !== -1) {
      g = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}
