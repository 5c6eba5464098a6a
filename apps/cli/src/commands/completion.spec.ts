import { buildProgram } from '../main';

// an ES module Jest on Node 20 does not load; the spinner is not used here
import { bashScript, commandTree, zshScript } from './completion';

describe('completion', () => {
  const { program } = buildProgram({});

  it('walks every command, subcommand and option', () => {
    const tree = commandTree(program);
    const paths = tree.map((n) => n.path);
    expect(paths).toEqual(expect.arrayContaining(['wharf', 'wharf app', 'wharf app list', 'wharf instance logs', 'wharf instance share create', 'wharf instance share revoke', 'wharf secret set', 'wharf token create', 'wharf tag add', 'wharf audit', 'wharf completion']));
    const list = tree.find((n) => n.path === 'wharf app list')!;
    expect(list.options).toEqual(expect.arrayContaining(['-a', '--all-versions', '--search', '-o', '--output', '--help']));
    expect(tree.find((n) => n.path === 'wharf')!.subcommands.map((s) => s.name)).toEqual(expect.arrayContaining(['app', 'instance', 'runtime', 'secret', 'tag', 'token', 'audit', 'config', 'completion']));
  });

  it('makes a bash script with the commands and options', () => {
    const s = bashScript(program);
    expect(s).toContain('complete -o default -F _wharf_completion wharf');
    expect(s).toMatch(/"wharf app"\) words='list ls get run update delete rm download/);
    expect(s).toContain('"wharf instance logs") words=\'-f --follow --tail --help\'');
    expect(s).toContain('-o|--output) COMPREPLY=($(compgen -W "table json yaml"');
  });

  it('makes a zsh script with described subcommands', () => {
    const s = zshScript(program);
    expect(s.startsWith('#compdef wharf')).toBe(true);
    expect(s).toContain("'list:the catalog: the newest version of each app you may see (every version with --all-versions)'");
    expect(s).toContain('compdef _wharf wharf');
    expect(s).toMatch(/"wharf token create"\) subcommands=\(\); options=\(--expires-in --read-only --user --role -o --output --help\)/);
  });
});
