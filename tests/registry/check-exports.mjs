// Checks one export of mcp-registry against its format's documented rules, recomputing from
// the manifests and the profile (independently of the C code) what the grants must be.
//
//   node check-exports.mjs FORMAT DIR REGISTRY PROFILE|- [BUNDLE-DIR]
//
// Prints "ok - ..." / "not ok - ..." lines; exits 1 when any check fails.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, accessSync, constants } from "node:fs";
import { join, isAbsolute } from "node:path";

const [format, dir, registry, profilePath, bundleDir] = process.argv.slice(2);
let failed = 0;
const check = (cond, what) => {
  console.log(`${cond ? "ok" : "not ok"} - ${format}: ${what}`);
  if (!cond) failed++;
};
const load = (p) => JSON.parse(readFileSync(p, "utf8"));
const index = load(join(registry, "index.json"));
const manifests = Object.fromEntries(
  index.connectors.map((c) => [c.name, load(join(registry, c.manifest))]),
);
const profile = profilePath && profilePath !== "-" ? load(profilePath) : null;

// The grant rule of docs/profiles.md: tool entry, else scope entry, else default, else blocked.
function grant(server, tool) {
  const c = profile?.connectors?.[server];
  return c?.tools?.[tool.name] ?? c?.scopes?.[tool.scope] ?? c?.default ?? "blocked";
}
const isStrings = (a) => Array.isArray(a) && a.every((s) => typeof s === "string");

function checkMcpServers(doc, typed) {
  check(doc && typeof doc.mcpServers === "object", "has an mcpServers object");
  for (const [name, e] of Object.entries(doc.mcpServers ?? {})) {
    check(name in manifests, `server '${name}' is a registry connector`);
    if (e.url !== undefined) {
      check(typed && e.type === "http", `${name}: a URL entry has type "http"`);
      check(/^https?:\/\/[^/]+\//.test(e.url), `${name}: url ${e.url} is an http(s) URL`);
      continue;
    }
    check(typed ? e.type === "stdio" : e.type === undefined,
      `${name}: ${typed ? 'type is "stdio"' : "no type member (claude_desktop_config.json)"}`);
    check(typeof e.command === "string" && isAbsolute(e.command), `${name}: command is absolute`);
    let runnable = false;
    try { accessSync(e.command, constants.X_OK); runnable = true; } catch { /* reported below */ }
    check(runnable, `${name}: command ${e.command} is executable`);
    check(isStrings(e.args), `${name}: args are strings`);
  }
  return doc.mcpServers ?? {};
}

function checkPermissions(settings, servers) {
  const perms = settings.permissions ?? {};
  const lists = { allow: perms.allow, ask: perms.ask, deny: perms.deny };
  for (const [k, v] of Object.entries(lists)) check(isStrings(v), `permissions.${k} is a list`);
  const seen = new Map();
  for (const [k, v] of Object.entries(lists))
    for (const rule of v ?? []) seen.set(rule, [...(seen.get(rule) ?? []), k]);
  for (const server of Object.keys(servers)) {
    for (const tool of manifests[server].tools) {
      const rule = `mcp__${server}__${tool.name}`;
      const where = seen.get(rule) ?? [];
      const want = { allow: "allow", ask: "ask", blocked: "deny" }[grant(server, tool)];
      check(where.length === 1 && where[0] === want,
        `${rule} appears exactly once, in ${want} (found in: ${where.join(", ") || "none"})`);
      seen.delete(rule);
    }
  }
  check(seen.size === 0, `no rule names a tool the manifests lack (${[...seen.keys()].join(", ")})`);
  for (const rule of [...(perms.allow ?? []), ...(perms.ask ?? []), ...(perms.deny ?? [])])
    check(/^mcp__[A-Za-z0-9_-]+__[A-Za-z0-9_.-]+$/.test(rule), `${rule} is an mcp__server__tool rule`);
}

function checkAllowlist(settings, servers) {
  check(settings.allowManagedMcpServersOnly === true, "allowManagedMcpServersOnly is true");
  const allowed = settings.allowedMcpServers ?? [];
  check(Array.isArray(allowed) && allowed.length === Object.keys(servers).length,
    "one allowedMcpServers entry per server");
  for (const e of allowed)
    check(Object.keys(e).length === 1 && ("serverCommand" in e || "serverUrl" in e),
      `allowedMcpServers entry ${JSON.stringify(e).slice(0, 60)} has exactly one of serverCommand, serverUrl`);
  for (const [name, s] of Object.entries(servers)) {
    const match = s.url
      ? allowed.some((e) => e.serverUrl === s.url)
      : allowed.some((e) => JSON.stringify(e.serverCommand) === JSON.stringify([s.command, ...s.args]));
    check(match, `${name}: allowedMcpServers matches its exact ${s.url ? "serverUrl" : "serverCommand argv"}`);
  }
}

function checkCowork(doc) {
  const list = doc.managedMcpServers;
  check(Array.isArray(list) && list.length > 0, "managedMcpServers is a non-empty array");
  const names = new Set();
  for (const e of list ?? []) {
    check(typeof e.name === "string" && !names.has(e.name), `${e.name}: a unique name`);
    names.add(e.name);
    check(/^https:\/\//.test(e.url ?? ""), `${e.name}: url is https`);
    check(["http", "sse", undefined].includes(e.transport), `${e.name}: transport is http or sse`);
    check(!(e.headers && e.oauth), `${e.name}: headers and oauth are not both set`);
    const m = manifests[e.name];
    const policy = e.toolPolicy ?? {};
    check(m && Object.keys(policy).length === m.tools.length, `${e.name}: toolPolicy covers every tool once`);
    for (const t of m?.tools ?? [])
      check(policy[t.name] === grant(e.name, t), `${e.name}: toolPolicy.${t.name} is ${grant(e.name, t)}`);
  }
}

function checkMcpb(doc) {
  for (const k of ["manifest_version", "name", "version", "description"])
    check(typeof doc[k] === "string" && doc[k].length > 0, `${k} is set`);
  check(typeof doc.author?.name === "string", "author.name is set");
  const m = manifests[doc.name];
  check(m !== undefined, `name '${doc.name}' is a registry connector`);
  check(doc.server?.type === "binary", 'server.type is "binary"');
  const cmd = m?.launch.command;
  check(doc.server?.entry_point === `server/${cmd}`, `entry_point is server/${cmd}`);
  check(doc.server?.mcp_config?.command === `\${__dirname}/server/${cmd}`, "mcp_config.command runs the bundled binary");
  check(JSON.stringify((doc.tools ?? []).map((t) => t.name)) === JSON.stringify(m?.tools.map((t) => t.name)),
    "tools list the manifest's tools in order");
  for (const a of doc.server?.mcp_config?.args ?? []) {
    const ref = /^\$\{user_config\.([a-z0-9_]+)\}$/.exec(a);
    if (ref) check(doc.user_config?.[ref[1]]?.title !== undefined, `user_config.${ref[1]} is declared`);
  }
}

const RANGE = /[\^~<>=*|\s]|(^|\.)[xX](\.|$)|^latest$/;
function checkServerJson(doc) {
  check(doc.$schema === "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
    "$schema is the 2025-12-11 server schema");
  check(typeof doc.name === "string" && /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/.test(doc.name) &&
    doc.name.length >= 3 && doc.name.length <= 200, `name ${doc.name} matches the pattern, 3-200 chars`);
  check(typeof doc.description === "string" && doc.description.length >= 1 && doc.description.length <= 100,
    `description is 1-100 chars (${doc.description?.length})`);
  check(typeof doc.version === "string" && doc.version.length <= 255 && !RANGE.test(doc.version),
    `version ${doc.version} is one exact version`);
  check(doc.title === undefined || (doc.title.length >= 1 && doc.title.length <= 100), "title is 1-100 chars");
  check(Array.isArray(doc.packages) && doc.packages.length > 0, "has packages");
  for (const p of doc.packages ?? []) {
    check(typeof p.registryType === "string" && typeof p.identifier === "string" && p.identifier.length > 0,
      "package has registryType and identifier");
    const t = p.transport?.type;
    check(t === "stdio" || (t === "streamable-http" && typeof p.transport.url === "string"),
      `package transport is stdio or streamable-http with a url (${t})`);
    check(p.version === undefined || (p.version !== "latest" && !RANGE.test(p.version)), "package version is exact");
    if (p.registryType === "mcpb") {
      check(/^[a-f0-9]{64}$/.test(p.fileSha256 ?? ""), "mcpb package has fileSha256");
      check(/^https:\/\/(github\.com|gitlab\.com)\//.test(p.identifier), "mcpb identifier is a GitHub or GitLab release URL");
      if (bundleDir) {
        const file = join(bundleDir, p.identifier.split("/").pop());
        const sum = existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : "";
        check(sum === p.fileSha256, `fileSha256 is the SHA-256 of ${file}`);
      }
    }
  }
  for (const r of doc.remotes ?? [])
    check(["streamable-http", "sse"].includes(r.type) && /^https?:\/\//.test(r.url), "remote has type and url");
  const meta = doc._meta ?? {};
  const key = "io.modelcontextprotocol.registry/publisher-provided";
  check(Object.keys(meta).length === 1 && key in meta, `_meta holds only ${key}`);
  const size = Buffer.byteLength(JSON.stringify(meta[key] ?? {}));
  check(size < 4096, `publisher-provided metadata is under 4 KB (${size} bytes)`);
  const cap = meta[key]?.["io.github.mcp-connectors/capabilities"];
  const m = manifests[cap?.name];
  check(m && Object.keys(cap.tools).length === m.tools.length &&
    m.tools.every((t) => cap.tools[t.name]?.scope === t.scope), "the condensed manifest names every tool's scope");
}

const files = {
  "claude-code": [".mcp.json"],
  "claude-code-managed": ["managed-mcp.json", "managed-settings.json"],
  cowork: ["cowork-managed-mcp-servers.json"],
  "claude-desktop": ["claude_desktop_config.json"],
  mcpb: ["manifest.json"],
  "server-json": ["server.json"],
}[format];
const docs = files.map((f) => join(dir, f));
for (const p of docs) check(existsSync(p) && statSync(p).size > 0, `${p} was written`);
const [a, b] = docs.map((p) => (existsSync(p) ? load(p) : {}));
if (format === "claude-code") checkMcpServers(a, true);
if (format === "claude-desktop") checkMcpServers(a, false);
if (format === "claude-code-managed") {
  const servers = checkMcpServers(a, true);
  checkAllowlist(b, servers);
  checkPermissions(b, servers);
}
if (format === "cowork") checkCowork(a);
if (format === "mcpb") checkMcpb(a);
if (format === "server-json") checkServerJson(a);
process.exit(failed ? 1 : 0);
