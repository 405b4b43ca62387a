import type { Command } from 'commander';
import { UsageError } from '../client/errors';
import type { Context } from '../context';

interface Tree {
  /** "berth", "berth apps", … → the subcommands under it. */
  subs: Map<string, string[]>;
  /** The command path → its flags. */
  flags: Map<string, string[]>;
  /** Flags that take a value (the next word is a value, completed as a file name). */
  valued: Set<string>;
}

/** `completion bash|zsh`: a completion script built from the commands themselves, so it never goes stale. */
export function registerCompletion(program: Command, ctx: Context): void {
  program
    .command('completion')
    .argument('<shell>', 'bash or zsh')
    .description('print a shell completion script')
    .addHelpText('after', '\nLoad it in ~/.bashrc:  source <(berth completion bash)\nor in ~/.zshrc (after compinit):  source <(berth completion zsh)')
    .action((shell: string) =>
      ctx.run(async () => {
        const tree = walk(program);
        if (shell === 'bash') ctx.io.stdout.write(bashScript(tree));
        else if (shell === 'zsh') ctx.io.stdout.write(zshScript(tree));
        else throw new UsageError(`completion is for bash or zsh, not "${shell}"`);
      }),
    );
}

function walk(program: Command): Tree {
  const tree: Tree = { subs: new Map(), flags: new Map(), valued: new Set() };
  const visit = (command: Command, path: string) => {
    const flags = command.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    for (const o of command.options) if (o.required || o.optional) for (const f of [o.short, o.long]) if (f) tree.valued.add(f);
    tree.flags.set(path, [...flags, '--help']);
    const children = command.commands.filter((c) => c.name() !== 'help');
    if (children.length) tree.subs.set(path, children.map((c) => c.name()));
    for (const child of children) visit(child, `${path} ${child.name()}`);
  };
  visit(program, 'berth');
  return tree;
}

const entries = (map: Map<string, string[]>) => [...map].map(([k, v]) => `    ["${k}"]="${v.join(' ')}"`).join('\n');

function bashScript(tree: Tree): string {
  return `# bash completion for berth. Load it with: source <(berth completion bash)
_berth() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" key=berth w i
  local -A subs=(
${entries(tree.subs)}
  )
  local -A flags=(
${entries(tree.flags)}
  )
  local valued=" ${[...tree.valued].join(' ')} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ -n "\${subs[$key]+set}" && " \${subs[$key]} " == *" $w "* ]] && key="$key $w"
  done
  if [[ "$valued" == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${flags[$key]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "\${subs[$key]}" -- "$cur"))
  fi
}
complete -o default -F _berth berth
`;
}

function zshScript(tree: Tree): string {
  return `#compdef berth
# zsh completion for berth. Load it (after compinit) with: source <(berth completion zsh)
_berth() {
  local -A subs flags
  subs=(
${[...tree.subs].map(([k, v]) => `    "${k}" "${v.join(' ')}"`).join('\n')}
  )
  flags=(
${[...tree.flags].map(([k, v]) => `    "${k}" "${v.join(' ')}"`).join('\n')}
  )
  local valued=" ${[...tree.valued].join(' ')} " key=berth w i
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    (( \${+subs[$key]} )) && [[ " \${subs[$key]} " == *" $w "* ]] && key="$key $w"
  done
  if [[ "$valued" == *" \${words[CURRENT-1]} "* ]]; then
    _files
  elif [[ \${words[CURRENT]} == -* ]]; then
    compadd -- \${=flags[$key]}
  elif (( \${+subs[$key]} )); then
    compadd -- \${=subs[$key]}
  else
    _files
  fi
}
compdef _berth berth
`;
}
