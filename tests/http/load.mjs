// Load test for the Streamable HTTP transport: N legacy sessions at once, each with a call in
// flight (test_slow reports progress over SSE), and no response lost or crossed between
// sessions. Node's own fetch, no SDK: the point is raw concurrency on the wire.
//
//   node load.mjs URL [SESSIONS]
// Prints ok/not ok lines and `N passed, M failed`.
const url = process.argv[2];
const sessions = Number(process.argv[3] || 200);
const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

// Every JSON-RPC message in a response: a JSON body, or the data of each SSE event.
async function messages(res) {
    const text = await res.text();
    if ((res.headers.get('content-type') || '').includes('text/event-stream'))
        return text.split('\n').filter((l) => l.startsWith('data: ') && l.length > 6)
            .map((l) => JSON.parse(l.slice(6)));
    return text ? [JSON.parse(text)] : [];
}

async function one(i) {
    let res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({
        jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25',
            capabilities: {}, clientInfo: { name: `load-${i}`, version: '1' } } }) });
    const sid = res.headers.get('mcp-session-id');
    await messages(res);
    if (!sid) throw new Error(`session ${i}: no Mcp-Session-Id (HTTP ${res.status})`);
    const h = { ...headers, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' };
    res = await fetch(url, { method: 'POST', headers: h,
        body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    await res.text();
    const id = `call-${i}`;
    res = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify({
        jsonrpc: '2.0', id, method: 'tools/call',
        params: { name: 'test_slow', arguments: { ms: 300 }, _meta: { progressToken: i } } }) });
    const got = await messages(res);
    const answer = got.find((m) => m.id === id);
    const progress = got.filter((m) => m.method === 'notifications/progress');
    if (!answer || answer.error || answer.result?.isError)
        throw new Error(`session ${i}: no good answer: ${JSON.stringify(got).slice(0, 200)}`);
    if (progress.some((p) => p.params.progressToken !== i))
        throw new Error(`session ${i}: got another session's progress`);
    res = await fetch(url, { method: 'DELETE', headers: h });
    if (res.status !== 200) throw new Error(`session ${i}: DELETE gave ${res.status}`);
    res = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'ping' }) });
    if (res.status !== 404) throw new Error(`session ${i}: after DELETE, HTTP ${res.status}`);
    return progress.length;
}

const started = Date.now();
const results = await Promise.allSettled(Array.from({ length: sessions }, (_, i) => one(i)));
const bad = results.filter((r) => r.status === 'rejected');
for (const r of bad.slice(0, 5)) console.log(`# ${r.reason?.message || r.reason}`);
const ms = Date.now() - started;
let passed = 0, failed = 0;
const check = (name, cond) => { cond ? passed++ : failed++; console.log(`${cond ? 'ok' : 'not ok'} - ${name}`); };
check(`${sessions} concurrent sessions with a call in flight each: every answer arrived (${ms} ms)`,
    bad.length === 0);
check('progress reached its own session only',
    results.every((r) => r.status !== 'fulfilled' || r.value >= 1));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
