/** One DNS character-string holds at most 255 bytes; longer TXT data is several strings, joined by readers. */
const STRING_MAX = 255;

/**
 * TXT data in zone-file form, as nsupdate and the PowerDNS API take it: each string quoted with `"` and `\`
 * escaped, so spaces and semicolons stay inside the record, split into 255-character strings.
 */
export function quoteTxt(value: string): string {
  const strings: string[] = [];
  for (let i = 0; i < value.length || i === 0; i += STRING_MAX) strings.push(value.slice(i, i + STRING_MAX));
  return strings.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' ');
}

/** Back from zone-file form: `"a b" "c"` → `a bc` (escapes `\"`, `\\` and `\DDD` undone); unquoted data as it is. */
export function unquoteTxt(content: string): string {
  const strings = [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
  if (!strings.length) return content;
  return strings.join('').replace(/\\(\d{3}|.)/g, (_, e: string) => (/^\d{3}$/.test(e) ? String.fromCharCode(Number(e)) : e));
}
