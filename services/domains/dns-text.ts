/** TXT record data in the zone-file form some APIs want (Route 53, Cloudflare): RFC 1035 character-strings. */

/** RFC 1035 caps one character-string at 255 bytes; longer text is several strings that resolvers join. */
const MAX_STRING = 255;

/** `v=1 "x"` → `"v=1 \"x\""`; text over 255 characters becomes several quoted strings. */
export function quoteTxt(value: string): string {
  const strings: string[] = [];
  for (let at = 0; at < value.length || at === 0; at += MAX_STRING) {
    strings.push(`"${value.slice(at, at + MAX_STRING).replace(/["\\]/g, (c) => `\\${c}`)}"`);
  }
  return strings.join(' ');
}

/** The text back: `"a" "b"` → `ab`, escapes undone (`\"`, `\\`, `\065`); data without quotes is taken as it is. */
export function unquoteTxt(data: string): string {
  const trimmed = data.trim();
  if (!trimmed.startsWith('"')) return data;
  let text = '';
  for (const match of trimmed.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    text += match[1].replace(/\\(\d{3}|.)/g, (_, escaped: string) => (escaped.length === 3 ? String.fromCharCode(Number(escaped)) : escaped));
  }
  return text;
}
