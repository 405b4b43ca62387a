import { interpolate } from '../helpers/compose-interpolate';
import { composeServices } from '../helpers/compose-services';
import { dockerRun, shellWords } from '../helpers/docker-run-args';

/** The helpers the label examples test reads its .sh and compose files with. */
describe('Compose interpolation (test helper)', () => {
  const env = { SET: 'value', EMPTY: '', PROJECT: 'demo' };

  it('expands plain, braced and defaulted variables as Compose does', () => {
    expect(interpolate('a $SET b ${SET} c', env)).toBe('a value b value c');
    expect(interpolate('${UNSET}|$UNSET|${EMPTY}', env)).toBe('||');
    expect(interpolate('${UNSET:-d}|${EMPTY:-d}|${SET:-d}', env)).toBe('d|d|value');
    expect(interpolate('${UNSET-d}|${EMPTY-d}|${SET-d}', env)).toBe('d||value');
    expect(interpolate('${UNSET:+x}|${EMPTY:+x}|${EMPTY+x}|${SET:+x}', env)).toBe('||x|x');
    expect(interpolate('${SCHEDULE:-@every 5s}', env)).toBe('@every 5s');
  });

  it('expands nested defaults, and $$ to a literal $ that is not expanded again', () => {
    expect(interpolate('${OUTPUT_DIR:-/tmp/${PROJECT}}/:/tmp', env)).toBe('/tmp/demo/:/tmp');
    expect(interpolate("/bin/sh -c 'date | tee -a /tmp/$${OUTPUT_FILE}'\"", env)).toBe("/bin/sh -c 'date | tee -a /tmp/${OUTPUT_FILE}'\"");
    expect(interpolate('$$SET ${UNSET:-$$}', env)).toBe('$SET $');
  });

  it('fails where Compose fails', () => {
    expect(() => interpolate('${REQUIRED:?set it}', env)).toThrow(/REQUIRED is missing a value: set it/);
    expect(() => interpolate('${EMPTY?x}', env)).not.toThrow();
    expect(() => interpolate('cost: $5', env)).toThrow(/invalid interpolation/);
    expect(() => interpolate('${OPEN', env)).toThrow(/unclosed/);
    expect(() => interpolate('${A*B}', env)).toThrow(/invalid interpolation/);
  });

  it('reads services with anchors, list or mapping labels, and the labels Compose adds', () => {
    const services = composeServices(
      [
        'services:',
        '  a:',
        '    image: &img busybox:${TAG:-1}',
        '    labels:',
        '      x.one: *img',
        '      x.two: 2',
        '  b:',
        '    labels: ["k=v=w", "flag"]',
      ].join('\n'),
      'proj',
      {},
    );
    expect(services).toEqual([
      {
        service: 'a',
        image: 'busybox:1',
        containerName: 'proj-a-1',
        labels: expect.objectContaining({ 'x.one': 'busybox:1', 'x.two': '2', 'com.docker.compose.service': 'a', 'com.docker.compose.project': 'proj' }),
      },
      { service: 'b', image: undefined, containerName: 'proj-b-1', labels: expect.objectContaining({ k: 'v=w', flag: '' }) },
    ]);
  });
});

describe('docker run arguments (test helper)', () => {
  it('splits words as a shell does', () => {
    expect(shellWords(`a "b c" 'd "e"' f\\ g x="y z"'q' "\\"\\$"`)).toEqual(['a', 'b c', 'd "e"', 'f g', 'x=y zq', '"$']);
  });

  it('collects the labels and the image of a continued docker run line', () => {
    const script = [
      'docker run -it --rm \\',
      '    -v /var/run/docker.sock:/var/run/docker.sock:ro \\',
      '    --label ofelia.job-run.p.command="sh -c \'date | tee -a /tmp/test/date\'" \\',
      '    --label=a.b=c -l d=e -lf=g \\',
      '        mcuadros/ofelia:latest daemon --docker',
    ].join('\n');
    expect(dockerRun(script)).toEqual({
      image: 'mcuadros/ofelia:latest',
      labels: { 'ofelia.job-run.p.command': "sh -c 'date | tee -a /tmp/test/date'", 'a.b': 'c', d: 'e', f: 'g' },
    });
  });
});
