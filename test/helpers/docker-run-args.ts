/**
 * The labels and image of the `docker run` command in a shell snippet (the examples' `.sh` files): lines joined at
 * a trailing backslash, words split as a POSIX shell splits them (single quotes literal, double quotes with `\`
 * escaping `"`, `\`, `$` and a backquote, a bare `\` escaping the next character), then `--label X`,
 * `--label=X`, `-l X` and `-lX` collected. The image is the first word that is neither an option nor an option's
 * value. Variables are not expanded: none of the examples uses one.
 */
export interface DockerRun {
  image: string;
  labels: Record<string, string>;
}

/** Options of `docker run` that take a value as the next word (those the examples use, and common ones). */
const WITH_VALUE = new Set([
  '-v', '--volume', '-l', '--label', '-e', '--env', '--name', '-p', '--publish', '--network', '--entrypoint',
  '-w', '--workdir', '-u', '--user', '--mount', '--env-file', '--label-file', '-h', '--hostname', '--restart',
]);

export function dockerRun(script: string): DockerRun {
  const line = script.replace(/\\\r?\n/g, ' ').split(/\r?\n/).find((l) => /^\s*docker\s+run\b/.test(l));
  if (!line) throw new Error('no docker run line');
  const words = shellWords(line);
  const labels: Record<string, string> = {};
  const add = (label: string) => {
    const eq = label.indexOf('=');
    labels[eq < 0 ? label : label.slice(0, eq)] = eq < 0 ? '' : label.slice(eq + 1);
  };
  for (let i = 2; i < words.length; i++) {
    const w = words[i];
    if (w === '--label' || w === '-l') add(words[++i]);
    else if (w.startsWith('--label=')) add(w.slice('--label='.length));
    else if (/^-l./.test(w)) add(w.slice(2));
    else if (WITH_VALUE.has(w)) i++;
    else if (!w.startsWith('-')) return { image: w, labels };
  }
  throw new Error(`no image in: ${line}`);
}

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word = word ?? '';
      for (i++; line[i] !== '"'; i++) {
        if (i >= line.length) throw new Error(`unclosed " in: ${line}`);
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1])) i++;
        word += line[i];
      }
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
