// Times search_files by name on our mcp-drive and on @modelcontextprotocol/server-filesystem,
// side by side over stdio with the official TypeScript client (SDK v1, from tests/npm), and
// prints a table. Run by bench/drive-search.sh, which makes the tree:
//
//   node drive-search.mjs --tree DIR --drive PATH/mcp-drive --peer PATH/dist/index.js
//                         [--runs 5] [--peer-version V]
//
// The two searches ask for the same set of names:
//   ours    search_files {glob: "*report*", limit: 1000}, following nextCursor to the end
//           (the glob is fnmatch(3) on the entry's name, files and folders alike);
//   theirs  search_files {path: DIR, pattern: "**/*report*"}: it walks DIR and keeps every
//           entry, file or folder, whose path relative to DIR minimatch()es the pattern with
//           {dot: true}, so "**/" any folders, then "*report*" on the last segment.
// Both are case-sensitive. The script checks that the two sets of paths are equal.
//
// A search's time is the client's wall time from the first request to the last response,
// decoded: what an agent waits. The responses are requested with client.request() and
// CallToolResultSchema, so neither pays for output-schema validation in the client.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const require = createRequire(new URL('../tests/npm/package.json', import.meta.url));
const load = (p) => import(pathToFileURL(require.resolve(p)).href);
const { Client } = await load('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = await load('@modelcontextprotocol/sdk/client/stdio.js');
const { CallToolResultSchema } = await load('@modelcontextprotocol/sdk/types.js');
const sdkVersion = JSON.parse(
    fs.readFileSync(new URL('../tests/npm/node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url)),
).version;

const opt = { tree: '', drive: '', peer: '', runs: '5', 'peer-version': '?' };
for (let i = 2; i < process.argv.length; i++) opt[process.argv[i].replace(/^--/, '')] = process.argv[++i];
const TREE = fs.realpathSync(opt.tree);
const ROOT_NAME = TREE.split('/').pop();
const RUNS = Number(opt.runs);
const TIMEOUT = 600_000;

// /proc/PID/status VmHWM and VmRSS in KiB; /proc/PID/stat user+system CPU in clock ticks.
function memory(pid) {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [])[1]);
    return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
}
function cpuTicks(pid) {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
}
const TICKS = 100; // USER_HZ on Linux

async function connect(label, command, args) {
    const client = new Client({ name: 'drive-search-bench', version: '1' }, { capabilities: {} });
    const transport = new StdioClientTransport({ command, args, stderr: 'inherit' });
    await client.connect(transport);
    const pid = transport.pid;
    if (!pid) throw new Error(`${label}: the transport gives no pid`);
    return { label, client, transport, pid, idle: memory(pid) };
}

async function call(client, name, args) {
    const r = await client.request(
        { method: 'tools/call', params: { name, arguments: args } },
        CallToolResultSchema,
        { timeout: TIMEOUT, maxTotalTimeout: TIMEOUT },
    );
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
    return r;
}

// Each returns the matched paths relative to the tree, and how many calls it took.
async function searchOurs(client, limit = 1000, pagesMax = Infinity) {
    const paths = [];
    let cursor;
    let calls = 0;
    do {
        const args = { glob: '*report*', limit };
        if (cursor) args.cursor = cursor;
        const r = await call(client, 'search_files', args);
        calls++;
        const sc = r.structuredContent;
        for (const e of sc.results) paths.push(e.path.slice(ROOT_NAME.length + 1));
        cursor = sc.nextCursor;
    } while (cursor && calls < pagesMax);
    return { paths, calls };
}
async function searchTheirs(client) {
    const r = await call(client, 'search_files', { path: TREE, pattern: '**/*report*' });
    const text = r.content[0].text;
    const paths = text === 'No matches found' ? [] : text.split('\n').map((p) => p.slice(TREE.length + 1));
    return { paths, calls: 1 };
}

const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(server, search) {
    const warm = await search(server.client); // warm-up: page cache, JIT, first allocations
    const times = [];
    const cpu0 = cpuTicks(server.pid);
    for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        const r = await search(server.client);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.paths.length !== warm.paths.length) throw new Error(`${server.label}: counts vary between runs`);
    }
    const cpu = ((cpuTicks(server.pid) - cpu0) / TICKS / RUNS) * 1000;
    return { paths: warm.paths, calls: warm.calls, times, median: median(times), cpu, mem: memory(server.pid) };
}

const ours = await connect('mcp-drive', opt.drive, ['--root', TREE]);
const theirs = await connect('server-filesystem', process.execPath, [opt.peer, TREE]);

// One at a time, so the two never share the CPUs.
const a = await measure(ours, (c) => searchOurs(c));
const firstPage = await measure(ours, (c) => searchOurs(c, 1000, 1));
const b = await measure(theirs, searchTheirs);

// The same set of files, or the comparison means nothing.
const setA = new Set(a.paths);
const setB = new Set(b.paths);
const onlyA = a.paths.filter((p) => !setB.has(p));
const onlyB = b.paths.filter((p) => !setA.has(p));
if (a.paths.length !== b.paths.length || onlyA.length || onlyB.length || setA.size !== a.paths.length) {
    console.error(`drive-search: the two searches disagree: ours ${a.paths.length}, theirs ${b.paths.length}`);
    console.error(`  only ours: ${onlyA.slice(0, 5).join(', ')}\n  only theirs: ${onlyB.slice(0, 5).join(', ')}`);
    process.exit(1);
}

await ours.client.close();
await theirs.client.close();

const ms = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (k) => (k / 1024).toFixed(1);
const rows = [
    ['server', 'calls', 'matches', 'median ms', 'min-max ms', 'server CPU ms', 'RSS idle MiB', 'peak RSS MiB'],
    [`mcp-drive (all pages, limit 1000)`, a.calls, a.paths.length, ms(a.median),
        `${ms(Math.min(...a.times))}-${ms(Math.max(...a.times))}`, ms(a.cpu), mib(ours.idle.rss), mib(a.mem.hwm)],
    [`mcp-drive (first page only)`, firstPage.calls, firstPage.paths.length, ms(firstPage.median),
        `${ms(Math.min(...firstPage.times))}-${ms(Math.max(...firstPage.times))}`, ms(firstPage.cpu), '', ''],
    [`server-filesystem ${opt['peer-version']}`, b.calls, b.paths.length, ms(b.median),
        `${ms(Math.min(...b.times))}-${ms(Math.max(...b.times))}`, ms(b.cpu), mib(theirs.idle.rss), mib(b.mem.hwm)],
];
console.log(`search_files by name over ${TREE} (20,000 files), ${RUNS} timed runs after one warm-up,`);
console.log(`client: TypeScript SDK ${sdkVersion} over stdio, Node ${process.versions.node}`);
console.log('');
console.log(`| ${rows[0].join(' | ')} |`);
console.log(`|${rows[0].map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
for (const r of rows.slice(1)) console.log(`| ${r.join(' | ')} |`);
console.log('');
const ratio = b.median / a.median;
console.log(`ratio (server-filesystem / mcp-drive, medians, all pages): ${ratio.toFixed(1)}x ` +
    `(target >= 30x: ${ratio >= 30 ? 'met' : 'NOT met'})`);
console.log(`ratio against mcp-drive's first page: ${(b.median / firstPage.median).toFixed(1)}x`);
if (process.env.DRIVE_BENCH_ENFORCE === '1' && ratio < 30) process.exit(2);
