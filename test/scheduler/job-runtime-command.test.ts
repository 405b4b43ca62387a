import { BerthError } from '../../services/core/errors';
import { checkEnvironment, checkUser, MAX_COMMAND_LENGTH, parseVolume, splitCommand } from '../../services/scheduler/job-runtime-command';
import { JobOutput } from '../../services/scheduler/job-runtime-output';
import { JOB_LOG_LINE_CAP } from '../../services/scheduler/job-runtime';

function errorOf(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error('no error');
}

describe('splitCommand', () => {
  it.each([
    ['touch /tmp/example', ['touch', '/tmp/example']],
    ['  spaced \t out  ', ['spaced', 'out']],
    ["sh -c 'date | tee -a /tmp/test/date'", ['sh', '-c', 'date | tee -a /tmp/test/date']],
    ['echo "Hello from local job"', ['echo', 'Hello from local job']],
    ['echo "a \\"quoted\\" \\$HOME \\n"', ['echo', 'a "quoted" $HOME \\n']],
    ["echo 'no \\escapes \"here\"'", ['echo', 'no \\escapes "here"']],
    ['a\\ b c\\\\d', ['a b', 'c\\d']],
    ["pre'fix 'mid\"dle\"post", ['prefix middlepost']],
    ["echo '' \"\"", ['echo', '', '']],
    ['echo $HOME *.txt | wc', ['echo', '$HOME', '*.txt', '|', 'wc']],
    ['one \\\ntwo', ['one', 'two']],
    ['trailing\\', ['trailing\\']],
    ['', []],
    // Ofelia ignores a quote opened by the last character (a published example ends that way).
    ["/bin/sh -c 'date | tee -a /tmp/${OUTPUT_FILE}'\"", ['/bin/sh', '-c', 'date | tee -a /tmp/${OUTPUT_FILE}']],
    ['echo "', ['echo']],
  ])('%j', (command, argv) => {
    expect(splitCommand(command)).toEqual(argv);
  });

  it('refuses an unterminated quote, naming where it opened', () => {
    const single = errorOf(() => splitCommand("echo 'abc def"));
    expect(single).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, details: { field: 'command', position: 6 } });
    expect(single.message).toMatch(/unterminated single quote at position 6/);
    expect(errorOf(() => splitCommand('echo "abc', 'entrypoint')).message).toMatch(/^entrypoint has an unterminated double quote at position 6/);
  });

  it('refuses a command over the size limit and NUL characters', () => {
    expect(errorOf(() => splitCommand('x'.repeat(MAX_COMMAND_LENGTH + 1))).message).toMatch(/longer than/);
    expect(splitCommand('x'.repeat(MAX_COMMAND_LENGTH))).toHaveLength(1);
    expect(errorOf(() => splitCommand('echo a\0b')).code).toBe('VALIDATION_ERROR');
  });
});

describe('environment, user and volumes', () => {
  it('takes KEY=value entries', () => {
    expect(() => checkEnvironment(['FOO=bar', 'EMPTY=', 'WITH_EQ=a=b', 'dotted.key-x=1', '_X=y'])).not.toThrow();
  });

  it.each([['NOEQUALS', 0], ['=value', 0], ['1ABC=x', 0], ['BAD KEY=x', 0], ['A=b\0c', 0]])('refuses %j', (entry) => {
    const err = errorOf(() => checkEnvironment(['OK=1', entry]));
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'environment[1]' } });
  });

  it('checks the user form', () => {
    for (const user of ['www-data', '1000', '1000:1000', 'app:staff']) expect(() => checkUser(user)).not.toThrow();
    for (const user of ['', 'a b', 'x:y:z', '-rf']) expect(errorOf(() => checkUser(user)).code).toBe('VALIDATION_ERROR');
  });

  it('tells host paths from named volumes', () => {
    expect(parseVolume('/tmp/test:/tmp/test:rw', 0)).toMatchObject({ source: '/tmp/test', target: '/tmp/test', hostPath: true });
    expect(parseVolume('./rel:/x', 0).hostPath).toBe(true);
    expect(parseVolume('data:/data:ro', 0)).toMatchObject({ source: 'data', hostPath: false, bind: 'data:/data:ro' });
    expect(errorOf(() => parseVolume('data', 2)).details).toEqual({ field: 'volume[2]' });
    expect(errorOf(() => parseVolume('data:relative', 0)).code).toBe('VALIDATION_ERROR');
  });
});

describe('JobOutput', () => {
  it('keeps stdout and stderr in arrival order and logs whole lines per stream', () => {
    const lines: string[] = [];
    const out = new JobOutput((line) => lines.push(line));
    out.push(1, Buffer.from('out one\nout '));
    out.push(2, Buffer.from('err one\r\n'));
    out.push(1, Buffer.from('two\n'));
    out.push(2, Buffer.from('no newline'));
    expect(out.finish(3)).toEqual({ exitCode: 3, output: 'out one\nout err one\r\ntwo\nno newline', truncated: false });
    expect(lines).toEqual(['out one', 'err one', 'out two', 'no newline']);
  });

  it('cuts the output at the cap, on a character boundary, and says so', () => {
    const lines: string[] = [];
    const out = new JobOutput((line) => lines.push(line), 10);
    out.push(1, Buffer.from('1234567é\n')); // é is two bytes: exactly 10 with the newline
    out.push(1, Buffer.from('ü more text\n'));
    const result = out.finish(0);
    expect(result.truncated).toBe(true);
    expect(result.output).toBe('1234567é\n…[output truncated at 10 bytes]');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('1234567é');
    expect(lines[lines.length - 1]).toBe('…[log truncated at 10 bytes]');

    const split = new JobOutput(() => undefined, 9);
    split.push(1, Buffer.from('12345678é'));
    expect(split.finish(0).output).toBe('12345678\n…[output truncated at 9 bytes]');
  });

  it('logs an endless line in one capped piece', () => {
    const lines: string[] = [];
    const out = new JobOutput((line) => lines.push(line));
    for (let i = 0; i < 10; i++) out.push(1, Buffer.alloc(1000, 'x'));
    out.push(1, Buffer.from('x\nnext\n'));
    out.finish(0);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveLength(JOB_LOG_LINE_CAP + 1);
    expect(lines[1]).toBe('next');
  });
});
