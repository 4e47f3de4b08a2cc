// Times search_files by name on our mcp-drive and on @modelcontextprotocol/server-filesystem,
// side by side over stdio with the official TypeScript client (SDK v1, from tests/npm), and
// prints a table. Run by bench/drive-search.sh, which makes the tree:
//
//   node drive-search.mjs --tree DIR --drive PATH/mcp-drive --peer PATH/dist/index.js
//                         [--runs 9] [--peer-version V]
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
//
// The timed searches run in rounds, one search at a time: ours (all pages), theirs, our first
// page, so both servers see the same machine: outside load that comes and goes lands on a
// round, not on one server's whole series. Each round gives one ratio (theirs / ours); their
// median is the verdict, printed with the ratio of the two medians.
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

const opt = { tree: '', drive: '', peer: '', runs: '9', 'peer-version': '?' };
for (let i = 2; i < process.argv.length; i++) opt[process.argv[i].replace(/^--/, '')] = process.argv[++i];
const TREE = fs.realpathSync(opt.tree);
const ROOT_NAME = TREE.split('/').pop();
const RUNS = Number(opt.runs);
const TIMEOUT = 600_000;

// /proc/PID/status VmHWM and VmRSS in KiB.
function memory(pid) {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [])[1]);
    return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
}
// The CPU time of all the server's threads so far, in ms: the time on CPU from
// /proc/PID/task/*/schedstat (nanoseconds), which unlike the clock ticks of /proc/PID/stat
// (10 ms each) can time one search; the ticks where schedstat is missing.
function cpuMs(pid) {
    try {
        let ns = 0;
        for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
            try {
                ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
            } catch {
                /* a thread that has just ended */
            }
        }
        return ns / 1e6;
    } catch {
        const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return ((Number(f[11]) + Number(f[12])) / 100) * 1000; // utime + stime, USER_HZ 100
    }
}

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

// One timed search: its wall time and the server CPU it took, in ms.
async function timed(server, search) {
    const cpu0 = cpuMs(server.pid);
    const t0 = process.hrtime.bigint();
    const r = await search(server.client);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { r, ms, cpu: cpuMs(server.pid) - cpu0 };
}

const ours = await connect('mcp-drive', opt.drive, ['--root', TREE]);
const theirs = await connect('server-filesystem', process.execPath, [opt.peer, TREE]);

// What is measured, each after one warm-up search (page cache, JIT, first allocations).
const series = async (server, search) => ({ server, search, warm: await search(server.client), times: [], cpu: 0 });
const a = await series(ours, (c) => searchOurs(c));
const b = await series(theirs, searchTheirs);
const firstPage = await series(ours, (c) => searchOurs(c, 1000, 1));

const ratios = [];
for (let i = 0; i < RUNS; i++) {
    for (const s of [a, b, firstPage]) {
        const { r, ms, cpu } = await timed(s.server, s.search);
        if (r.paths.length !== s.warm.paths.length) throw new Error(`${s.server.label}: counts vary between runs`);
        s.times.push(ms);
        s.cpu += cpu;
    }
    ratios.push(b.times[i] / a.times[i]);
}
for (const s of [a, b, firstPage]) {
    s.paths = s.warm.paths;
    s.calls = s.warm.calls;
    s.median = median(s.times);
    s.cpu /= RUNS;
    s.mem = memory(s.server.pid);
}

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
const range = (s) => `${ms(Math.min(...s.times))}-${ms(Math.max(...s.times))}`;
const rows = [
    ['server', 'calls', 'matches', 'median ms', 'min-max ms', 'server CPU ms', 'RSS idle MiB', 'peak RSS MiB'],
    [`mcp-drive (all pages, limit 1000)`, a.calls, a.paths.length, ms(a.median), range(a), ms(a.cpu),
        mib(ours.idle.rss), mib(a.mem.hwm)],
    [`mcp-drive (first page only)`, firstPage.calls, firstPage.paths.length, ms(firstPage.median), range(firstPage),
        ms(firstPage.cpu), '', ''],
    [`server-filesystem ${opt['peer-version']}`, b.calls, b.paths.length, ms(b.median), range(b), ms(b.cpu),
        mib(theirs.idle.rss), mib(b.mem.hwm)],
];
console.log(`search_files by name over ${TREE} (20,000 files), ${RUNS} interleaved rounds after one warm-up each,`);
console.log(`client: TypeScript SDK ${sdkVersion} over stdio, Node ${process.versions.node}`);
console.log('');
console.log(`| ${rows[0].join(' | ')} |`);
console.log(`|${rows[0].map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
for (const r of rows.slice(1)) console.log(`| ${r.join(' | ')} |`);
console.log('');
const x = (v) => `${v.toFixed(1)}x`;
const paired = median(ratios);
console.log(`ratio (server-filesystem / mcp-drive, all pages), median of the ${RUNS} rounds: ${x(paired)} ` +
    `(target >= 30x: ${paired >= 30 ? 'met' : 'NOT met'}); rounds ${x(Math.min(...ratios))}-${x(Math.max(...ratios))}`);
console.log(`ratio of the medians: ${x(b.median / a.median)}; against mcp-drive's first page: ` +
    `${x(b.median / firstPage.median)}`);
if (process.env.DRIVE_BENCH_ENFORCE === '1' && paired < 30) process.exit(2);
