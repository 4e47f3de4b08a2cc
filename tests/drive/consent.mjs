// Consent under a profile, end to end: mcp-drive started with registry/profiles/cowork.json,
// whose writes are "ask", driven by the official clients. The person accepts or declines
// through the client: elicitation in a legacy session (SDK v1 and v2), input_required in
// 2026-07-28 (v2). Accepted writes land; declined ones change nothing.
//
//   node consent.mjs --drive PATH --data DIR      (DIR's name must be "Documents")
// Prints ok/not ok lines and `N passed, M failed`.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (k) => process.argv[process.argv.indexOf(`--${k}`) + 1];
const DRIVE = arg('drive');
const DATA = arg('data');
const PROFILE = new URL('../../registry/profiles/cowork.json', import.meta.url).pathname;

const require = createRequire(new URL('../npm/package.json', import.meta.url));
// Each package's ESM build, from tests/npm (ES modules ignore NODE_PATH).
function esm(pkg, sub) {
    const root = join(require.resolve.paths(pkg).find((d) => fs.existsSync(join(d, pkg))), pkg);
    const exp = JSON.parse(fs.readFileSync(join(root, 'package.json'), 'utf8')).exports;
    const pick = (t) => (typeof t === 'string' ? t : t.import?.default ?? t.import ?? t.default);
    const file = exp[sub] ? pick(exp[sub]) : pick(exp['./*']).replace('*', sub.slice(2));
    return import(pathToFileURL(join(root, file)).href);
}

let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
    cond ? passed++ : failed++;
    console.log(`${cond ? 'ok' : 'not ok'} - ${name}${cond || !detail ? '' : ': ' + detail}`);
}

async function connect(kind, answer) {
    const args = ['--root', DATA, '--profile', PROFILE];
    let client, transport;
    const caps = { capabilities: { elicitation: { form: {} } } };
    if (kind === 'v1') {
        const { Client } = await esm('@modelcontextprotocol/sdk', './client/index.js');
        const { StdioClientTransport } = await esm('@modelcontextprotocol/sdk', './client/stdio.js');
        const { ElicitRequestSchema } = await esm('@modelcontextprotocol/sdk', './types.js');
        client = new Client({ name: 'consent', version: '1' }, caps);
        client.setRequestHandler(ElicitRequestSchema, answer);
        transport = new StdioClientTransport({ command: DRIVE, args, stderr: 'inherit' });
    } else {
        const m = await esm('@modelcontextprotocol/client', '.');
        const { StdioClientTransport } = await esm('@modelcontextprotocol/client', './stdio');
        client = new m.Client({ name: 'consent', version: '1' }, {
            ...caps,
            ...(kind === 'v2-modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
        });
        client.setRequestHandler('elicitation/create', answer);
        transport = new StdioClientTransport({ command: DRIVE, args, stderr: 'inherit' });
    }
    await client.connect(transport);
    return client;
}

const text = (r) => (r.content || []).map((c) => c.text || '').join('\n');
for (const kind of ['v1', 'v2-legacy', 'v2-modern']) {
    let asked = 0;
    let decision = 'accept';
    const client = await connect(kind, async (req) => {
        asked++;
        return decision === 'accept'
            ? { action: 'accept', content: Object.fromEntries(Object.entries(
                req.params.requestedSchema?.properties ?? {}).map(([k, s]) =>
                [k, s.type === 'boolean' ? true : s.default ?? 'yes'])) }
            : { action: 'decline' };
    });
    const call = (name, args) => kind === 'v1'
        ? client.callTool({ name, arguments: args }, undefined, { timeout: 30000 })
        : client.callTool({ name, arguments: args }, { timeout: 30000 });

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    check(`${kind}: cowork lists reads and writes, not delete`,
        names.includes('read_file') && names.includes('write_file') && !names.includes('delete'),
        names.join(','));
    const write = tools.find((t) => t.name === 'write_file');
    check(`${kind}: an ask tool says it needs the person`,
        write?._meta?.['anthropic/requiresUserInteraction'] === true, JSON.stringify(write?._meta));

    const file = `consent-${kind}.txt`;
    let r = await call('write_file', { path: `Documents/${file}`, content: 'approved' });
    check(`${kind}: accepted, the write lands`,
        !r.isError && asked === 1 && fs.readFileSync(join(DATA, file), 'utf8') === 'approved',
        `${text(r)} (asked ${asked})`);
    decision = 'decline';
    r = await call('write_file', { path: `Documents/${file}`, content: 'denied', overwrite: true });
    check(`${kind}: declined, nothing changes`,
        r.isError && asked === 2 && fs.readFileSync(join(DATA, file), 'utf8') === 'approved',
        `${text(r)} (asked ${asked})`);
    const refused = await call('delete', { path: `Documents/${file}` }).then(
        (res) => res.isError === true, (err) => /not granted/.test(String(err?.message)));
    check(`${kind}: a blocked tool is refused by name`, refused && fs.existsSync(join(DATA, file)));
    await client.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
