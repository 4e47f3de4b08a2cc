// The echo server on the v1 TypeScript SDK (@modelcontextprotocol/sdk, McpServer): what a
// connector author would write today, to measure libmcp against.
//
//   node echo-v1.mjs                         stdio
//   node echo-v1.mjs --http 127.0.0.1:PORT   Streamable HTTP at /mcp
//        [--json]                            answer application/json instead of SSE
//
// HTTP follows the SDK's documented patterns: an `initialize` without a session starts a
// session (one transport per session, kept in a map); a request with Mcp-Session-Id goes to
// its session; any other request is served statelessly by a fresh server and transport.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

function newServer() {
    const server = new McpServer({ name: 'echo-v1', version: '1.0.0' });
    server.registerTool(
        'echo',
        { description: 'Returns the text it is given.', inputSchema: { text: z.string() } },
        async ({ text }, extra) => {
            // The SSE measures ask for progress: one notification precedes the result, as in
            // every server under test, so the response has to be a stream.
            const token = extra._meta?.progressToken;
            if (token !== undefined)
                await extra.sendNotification({
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
    const http = createServer(async (req, res) => {
        try {
            const body = req.method === 'POST' ? await readBody(req) : undefined;
            const sid = req.headers['mcp-session-id'];
            let transport = sid ? sessions.get(sid) : undefined;
            if (sid && !transport) {
                res.writeHead(404).end();
                return;
            }
            if (!transport && isInitializeRequest(body)) {
                transport = new StreamableHTTPServerTransport({
                    sessionIdGenerator: () => randomUUID(),
                    enableJsonResponse: json,
                    onsessioninitialized: (id) => sessions.set(id, transport),
                });
                transport.onclose = () => sessions.delete(transport.sessionId);
                await newServer().connect(transport);
            } else if (!transport) {
                // Stateless: a server and a transport for this one request.
                const server = newServer();
                transport = new StreamableHTTPServerTransport({
                    sessionIdGenerator: undefined,
                    enableJsonResponse: json,
                });
                res.on('close', () => {
                    transport.close();
                    server.close();
                });
                await server.connect(transport);
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
    await newServer().connect(new StdioServerTransport());
}
