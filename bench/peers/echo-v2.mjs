// The echo server on the v2 TypeScript SDK (@modelcontextprotocol/server, with the Node
// adapter @modelcontextprotocol/node): the SDK's own way to serve both protocol eras.
//
//   node echo-v2.mjs                         stdio (serveStdio: legacy or 2026-07-28)
//   node echo-v2.mjs --http 127.0.0.1:PORT   Streamable HTTP at /mcp
//        [--json]                            legacy sessions answer application/json
//
// HTTP routes in user land, as the SDK documents for keeping sessions beside the modern
// entry: an `initialize` or a request with Mcp-Session-Id goes to a sessionful transport
// (one per session, kept in a map); everything else, above all stateless 2026-07-28 requests,
// goes to createMcpHandler (a fresh server per request, JSON unless the tool streams).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, isInitializeRequest, McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

function newServer() {
    const server = new McpServer({ name: 'echo-v2', version: '1.0.0' });
    server.registerTool(
        'echo',
        { description: 'Returns the text it is given.', inputSchema: z.object({ text: z.string() }) },
        async ({ text }, ctx) => {
            // The SSE measures ask for progress: one notification precedes the result, as in
            // every server under test, so the response has to be a stream.
            const token = ctx.mcpReq._meta?.progressToken;
            if (token !== undefined)
                await ctx.mcpReq.notify({
                    method: 'notifications/progress',
                    params: { progressToken: token, progress: 1, total: 1 },
                });
            return { content: [{ type: 'text', text }] };
        },
    );
    return server;
}

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            try {
                resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
            } catch (e) {
                reject(e);
            }
        });
        req.on('error', reject);
    });
}

function serveHttp(host, port, json) {
    const sessions = new Map();
    const stateless = toNodeHandler(createMcpHandler(newServer));
    const http = createServer(async (req, res) => {
        try {
            const body = req.method === 'POST' ? await readBody(req) : undefined;
            const sid = req.headers['mcp-session-id'];
            let transport = sid ? sessions.get(sid) : undefined;
            if (sid && !transport) {
                res.writeHead(404).end();
                return;
            }
            if (!transport && !isInitializeRequest(body)) {
                await stateless(req, res, body);
                return;
            }
            if (!transport) {
                transport = new NodeStreamableHTTPServerTransport({
                    sessionIdGenerator: () => randomUUID(),
                    enableJsonResponse: json,
                    onsessioninitialized: (id) => sessions.set(id, transport),
                });
                transport.onclose = () => sessions.delete(transport.sessionId);
                await newServer().connect(transport);
            }
            await transport.handleRequest(req, res, body);
        } catch (e) {
            if (!res.headersSent) res.writeHead(400).end(String(e));
        }
    });
    http.listen(port, host);
    process.on('SIGTERM', () => process.exit(0));
}

const args = process.argv.slice(2);
const at = args.indexOf('--http');
if (at >= 0) {
    const addr = args[at + 1];
    const colon = addr.lastIndexOf(':');
    serveHttp(addr.slice(0, colon), Number(addr.slice(colon + 1)), args.includes('--json'));
} else {
    serveStdio(newServer);
}
