// The drive connector's test cases, run through the official TypeScript client (SDK v1)
// against one backend. The same cases run for the local backend and for WebDAV: the test
// prepares files directly in the folder the backend serves (the local root, or the folder
// Apache mod_dav serves), then checks what the tools say and what lands on disk.
//
//   node drive.mjs --data DIR --root-name NAME [--transport stdio|http]
//                  (--server "CMD ARGS..." | --url URL) [--local]
//
// --local enables the cases only a local backend can have (symlinks planted in the tree).
// Prints `ok - ...` / `not ok - ...` and a final `N passed, M failed` line.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeDocx, makePdf } from './documents.mjs';

const require = createRequire(new URL('../npm/package.json', import.meta.url));
const load = (p) => import(pathToFileURL(require.resolve(p)).href);
const { Client } = await load('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = await load('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = await load(
    '@modelcontextprotocol/sdk/client/streamableHttp.js',
);

const opt = { data: '', 'root-name': '', transport: 'stdio', server: '', url: '', local: false };
for (let i = 2; i < process.argv.length; i++) {
    const k = process.argv[i].replace(/^--/, '');
    if (k === 'local') opt.local = true;
    else opt[k] = process.argv[++i];
}
const DATA = opt.data;
const R = opt['root-name'];

let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
    if (cond) {
        passed++;
        console.log(`ok - ${name}`);
    } else {
        failed++;
        console.log(`not ok - ${name}${detail ? ': ' + detail : ''}`);
    }
}

const client = new Client({ name: 'drive-tests', version: '1' }, { capabilities: {} });
const transport =
    opt.transport === 'stdio'
        ? new StdioClientTransport({
              command: opt.server.split(' ')[0],
              args: opt.server.split(' ').slice(1),
              stderr: 'inherit',
          })
        : new StreamableHTTPClientTransport(new URL(opt.url));
await client.connect(transport);

async function call(name, args, extra = {}) {
    const r = await client.callTool({ name, arguments: args }, undefined, {
        timeout: 60000,
        ...extra,
    });
    const text = (r.content || []).map((c) => c.text || '').join('\n');
    return { ...r, text };
}
// The WebDAV server runs as the owner of its data folder: what the test plants (as root)
// must belong to that user too, or the server cannot change it.
const owner = fs.statSync(DATA);
function chownTree(path) {
    if (process.getuid() !== 0 || owner.uid === 0) return;
    fs.lchownSync(path, owner.uid, owner.gid);
    if (fs.lstatSync(path).isDirectory())
        for (const name of fs.readdirSync(path)) chownTree(join(path, name));
}
const write = (rel, content) => {
    fs.mkdirSync(join(DATA, rel, '..'), { recursive: true });
    fs.writeFileSync(join(DATA, rel), content);
    chownTree(DATA);
};
const read = (rel) => fs.readFileSync(join(DATA, rel), 'utf8');
const exists = (rel) => fs.existsSync(join(DATA, rel));

// --- the tool list: every tool complete, as the manifest promises
const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
const want = [
    'copy', 'create_folder', 'delete', 'edit_file', 'get_file_info', 'list_folder',
    'list_trash', 'move', 'read_file', 'restore', 'search_files', 'upload_file', 'write_file',
];
check('tools/list has the 13 drive tools', JSON.stringify(names) === JSON.stringify(want),
    names.join(','));
for (const t of tools) {
    const a = t.annotations || {};
    check(`${t.name} has title, outputSchema and all four hints`,
        t.title && t.outputSchema && ['readOnlyHint', 'destructiveHint', 'idempotentHint',
            'openWorldHint'].every((h) => typeof a[h] === 'boolean'));
}

// --- listing and reading
write('docs/report.txt', 'quarterly report\nrevenue up\n');
write('docs/notes.md', '# notes\nplan: ship drive\n');
write('docs/.hidden', 'secret-ish');
write('photos/pixel.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 1]));
write('big.txt', 'x'.repeat(100000) + 'END');

let r = await call('list_folder', { path: '' });
check('list_folder "" lists the roots', r.structuredContent?.entries?.[0]?.name === R, r.text);
r = await call('list_folder', { path: `${R}/docs` });
const listed = r.structuredContent?.entries?.map((e) => e.name) || [];
check('list_folder shows files sorted by name, hidden ones skipped',
    JSON.stringify(listed) === JSON.stringify(['notes.md', 'report.txt']), r.text);
r = await call('list_folder', { path: `${R}/docs`, include_hidden: true });
check('include_hidden shows dot files', r.structuredContent?.entries?.length === 3, r.text);
r = await call('list_folder', { path: `${R}/docs`, limit: 1 });
const page2 = await call('list_folder', { path: `${R}/docs`, limit: 1,
    cursor: r.structuredContent?.nextCursor });
check('list_folder pages with a cursor',
    r.structuredContent?.entries?.[0]?.name === 'notes.md' &&
    page2.structuredContent?.entries?.[0]?.name === 'report.txt' &&
    !page2.structuredContent?.nextCursor, `${r.text} / ${page2.text}`);
r = await call('list_folder', { path: `${R}/docs`, cursor: 'bogus' });
check('a forged cursor is refused', r.isError && /cursor/.test(r.text), r.text);

r = await call('get_file_info', { path: `${R}/docs/report.txt` });
check('get_file_info gives size, type, mime and ETag',
    r.structuredContent?.size === 28 && r.structuredContent?.type === 'file' &&
    r.structuredContent?.mime_type === 'text/plain' && r.structuredContent?.etag, r.text);

r = await call('read_file', { path: `${R}/docs/report.txt` });
check('read_file returns the text', r.text === 'quarterly report\nrevenue up\n', r.text);
r = await call('read_file', { path: `${R}/big.txt`, offset: 10, length: 1000 });
check('read_file pages text with a "N more bytes" marker',
    r.structuredContent?.remaining === 100003 - 1010 &&
    /\[98993 more bytes; read_file again with offset 1010/.test(r.text), r.text.slice(-120));
r = await call('read_file', { path: `${R}/big.txt`, offset: 100000 });
check('read_file from an offset reaches the end', r.text === 'END', r.text);
r = await call('read_file', { path: `${R}/photos/pixel.png` });
const blob = r.content?.find((c) => c.type === 'resource');
check('binary files come back as a blob resource with the MIME type',
    blob?.resource?.mimeType === 'image/png' &&
    Buffer.from(blob.resource.blob, 'base64').length === 11, JSON.stringify(r.content));
r = await call('read_file', { path: `${R}/photos/pixel.png`, offset: 1, length: 3 });
const part = r.content?.find((c) => c.type === 'resource');
check('binary byte ranges', Buffer.from(part?.resource?.blob || '', 'base64').toString() === 'PNG',
    JSON.stringify(r.content));
r = await call('read_file', { path: `${R}/docs` });
check('reading a folder says to list it', r.isError && /list_folder/.test(r.text), r.text);
r = await call('read_file', { path: `${R}/docs/missing.txt` });
check('a missing file says how to find the right path', r.isError && /search_files/.test(r.text),
    r.text);

// --- text from documents: a minimal PDF and a minimal docx (documents.mjs)
write('docs/brief.pdf', makePdf('Quarterly brief for the board'));
write('docs/letter.docx', makeDocx(['Dear team,', 'the rollout starts Monday.']));
r = await call('read_file', { path: `${R}/docs/brief.pdf` });
check('read_file extracts the text of a PDF', /Quarterly brief for the board/.test(r.text), r.text);
r = await call('read_file', { path: `${R}/docs/letter.docx` });
check('read_file extracts the text of a docx, a line per paragraph',
    /Dear team,\nthe rollout starts Monday\./.test(r.text), r.text);
r = await call('read_file', { path: `${R}/docs/brief.pdf`, extract_text: false });
check('extract_text: false gives the PDF bytes',
    r.content?.some((c) => c.type === 'resource' && c.resource.mimeType === 'application/pdf'),
    JSON.stringify(r.content).slice(0, 200));

// --- resources
const res = await client.readResource({ uri: `drive:///${R}/docs/notes.md` });
check('resources/read of a drive:/// URI', res.contents?.[0]?.text === '# notes\nplan: ship drive\n',
    JSON.stringify(res));
const templates = await client.listResourceTemplates();
check('the drive:/// template is listed',
    templates.resourceTemplates?.some((t) => t.uriTemplate === 'drive:///{+path}'));

// --- search
write('docs/deep/a/b/target-file.txt', 'needle in here');
r = await call('search_files', { glob: '*.txt' });
const found = r.structuredContent?.results?.map((e) => e.path) || [];
check('search_files by glob across roots', found.includes(`${R}/docs/report.txt`) &&
    found.includes(`${R}/docs/deep/a/b/target-file.txt`), r.text);
r = await call('search_files', { name_contains: 'TARGET' });
check('search_files by name substring (any case)', r.structuredContent?.results?.length === 1,
    r.text);
r = await call('search_files', { content_contains: 'needle' });
check('search_files by content', r.structuredContent?.results?.[0]?.name === 'target-file.txt',
    r.text);
r = await call('search_files', { glob: '*', type: 'file', limit: 2 });
const next = await call('search_files', { glob: '*', type: 'file', limit: 2,
    cursor: r.structuredContent?.nextCursor });
check('search_files pages with a cursor', r.structuredContent?.results?.length === 2 &&
    next.structuredContent?.results?.length >= 1 &&
    next.structuredContent.results[0].path !== r.structuredContent.results[0].path, next.text);
{
    // Pages resume where the last one stopped: every result once, in the same order.
    const everything = (await call('search_files', { glob: '*', limit: 1000 }))
        .structuredContent?.results?.map((e) => e.path) ?? [];
    const paged = [];
    let cursor;
    let pages = 0;
    do {
        const page = await call('search_files', { glob: '*', limit: 3, ...(cursor ? { cursor } : {}) });
        paged.push(...(page.structuredContent?.results?.map((e) => e.path) ?? []));
        cursor = page.structuredContent?.nextCursor;
    } while (cursor && ++pages < 100);
    check('search_files three at a time gives every result once, in order',
        everything.length > 5 && JSON.stringify(paged) === JSON.stringify(everything),
        `${paged.length} paged vs ${everything.length}`);
    // The same when most names fail the glob (those the walk counts without sorting them).
    const txt = (await call('search_files', { glob: '*.txt', limit: 1000 }))
        .structuredContent?.results?.map((e) => e.path) ?? [];
    const one = [];
    cursor = undefined;
    pages = 0;
    do {
        const page = await call('search_files', { glob: '*.txt', limit: 1, ...(cursor ? { cursor } : {}) });
        one.push(...(page.structuredContent?.results?.map((e) => e.path) ?? []));
        cursor = page.structuredContent?.nextCursor;
    } while (cursor && ++pages < 100);
    check('search_files one at a time by a glob most names fail gives every match once, in order',
        txt.length > 2 && txt.length < everything.length && JSON.stringify(one) === JSON.stringify(txt),
        `${one.length} paged vs ${txt.length} of ${everything.length}`);
    const forged = await call('search_files', { glob: '*', cursor: '12' });
    check('a forged search cursor is refused', forged.isError && /cursor/.test(forged.text), forged.text);
}
r = await call('search_files', { min_size: 50000 });
check('search_files by size', r.structuredContent?.results?.map((e) => e.name).join() === 'big.txt',
    r.text);
r = await call('search_files', { glob: '*', modified_after: '2999-01-01T00:00:00Z' });
check('search_files by modified time', r.structuredContent?.results?.length === 0, r.text);

// --- writing, with ETags
r = await call('write_file', { path: `${R}/docs/new.txt`, content: 'first' });
check('write_file creates', r.structuredContent?.created === true && read('docs/new.txt') === 'first',
    r.text);
r = await call('write_file', { path: `${R}/docs/new.txt`, content: 'second' });
check('write_file refuses to replace without overwrite',
    r.isError && /overwrite/.test(r.text) && read('docs/new.txt') === 'first', r.text);
const info = await call('get_file_info', { path: `${R}/docs/new.txt` });
const etag = info.structuredContent?.etag;
r = await call('write_file', { path: `${R}/docs/new.txt`, content: 'third', if_match: etag });
check('write_file with the current ETag replaces', !r.isError && read('docs/new.txt') === 'third',
    r.text);
r = await call('write_file', { path: `${R}/docs/new.txt`, content: 'stale', if_match: etag });
check('a conditional write with a stale ETag is refused',
    r.isError && read('docs/new.txt') === 'third', r.text);
r = await call('write_file', { path: `${R}/docs/new.txt`, content: 'fourth', overwrite: true });
check('overwrite replaces', !r.isError && read('docs/new.txt') === 'fourth', r.text);
r = await call('write_file', { path: `${R}/nofolder/x.txt`, content: 'x' });
check('writing into a missing folder fails clearly', r.isError, r.text);

r = await call('upload_file', { path: `${R}/photos/copy.png`,
    data_base64: Buffer.from([1, 2, 3, 250]).toString('base64') });
check('upload_file from base64',
    !r.isError && fs.readFileSync(join(DATA, 'photos/copy.png')).equals(Buffer.from([1, 2, 3, 250])),
    r.text);
r = await call('upload_file', { path: `${R}/photos/again.png`,
    from_uri: `drive:///${R}/photos/pixel.png` });
check('upload_file from a drive resource',
    !r.isError && fs.readFileSync(join(DATA, 'photos/again.png')).length === 11, r.text);
r = await call('upload_file', { path: `${R}/photos/bad.png`, data_base64: 'abc' });
check('malformed base64 is refused', r.isError && !exists('photos/bad.png'), r.text);

// --- edit_file
write('docs/edit.txt', 'alpha\nbeta\ngamma\n');
r = await call('edit_file', { path: `${R}/docs/edit.txt`, dry_run: true,
    edits: [{ old_text: 'beta', new_text: 'BETA' }] });
check('edit_file dry run shows a diff and changes nothing',
    /-beta\n\+BETA/.test(r.structuredContent?.diff || '') && r.structuredContent?.applied === false &&
    read('docs/edit.txt') === 'alpha\nbeta\ngamma\n', r.text);
r = await call('edit_file', { path: `${R}/docs/edit.txt`,
    edits: [{ old_text: 'beta', new_text: 'BETA' }, { old_text: 'gamma', new_text: 'G' }] });
check('edit_file applies exact replacements', read('docs/edit.txt') === 'alpha\nBETA\nG\n', r.text);
r = await call('edit_file', { path: `${R}/docs/edit.txt`, edits: [{ old_text: 'zzz', new_text: '' }] });
check('an edit whose text is not there is refused', r.isError && /nowhere/.test(r.text), r.text);
write('docs/twice.txt', 'a a');
r = await call('edit_file', { path: `${R}/docs/twice.txt`, edits: [{ old_text: 'a', new_text: 'b' }] });
check('an ambiguous edit is refused', r.isError && read('docs/twice.txt') === 'a a', r.text);

// --- folders, move, copy
r = await call('create_folder', { path: `${R}/new/deep/folder` });
check('create_folder makes parents', r.structuredContent?.created && exists('new/deep/folder'),
    r.text);
r = await call('create_folder', { path: `${R}/new/deep/folder` });
check('create_folder on an existing folder succeeds', !r.isError &&
    r.structuredContent?.created === false, r.text);
r = await call('copy', { from: `${R}/docs/report.txt`, to: `${R}/new/report.txt` });
check('copy a file', !r.isError && read('new/report.txt') === read('docs/report.txt'), r.text);
r = await call('copy', { from: `${R}/docs/report.txt`, to: `${R}/new/report.txt` });
check('copy refuses to replace without overwrite', r.isError && /overwrite/.test(r.text), r.text);
r = await call('copy', { from: `${R}/docs/deep`, to: `${R}/new/deepcopy` });
check('copy a folder', !r.isError && read('new/deepcopy/a/b/target-file.txt') === 'needle in here',
    r.text);
r = await call('move', { from: `${R}/new/report.txt`, to: `${R}/new/renamed.txt` });
check('move renames', !r.isError && exists('new/renamed.txt') && !exists('new/report.txt'), r.text);
r = await call('move', { from: `${R}/new/renamed.txt`, to: `${R}/docs/report.txt` });
check('move refuses to replace without overwrite',
    r.isError && exists('new/renamed.txt') && read('docs/report.txt').startsWith('quarterly'),
    r.text);
r = await call('move', { from: `${R}/new`, to: `${R}/new/inside` });
check('moving a folder into itself is refused', r.isError, r.text);

// --- delete, trash, restore
r = await call('delete', { path: `${R}/docs/notes.md` });
const id = r.structuredContent?.trash_id;
check('delete moves to the trash', !r.isError && id && !exists('docs/notes.md'), r.text);
r = await call('list_trash', {});
check('list_trash shows it with its original path',
    r.structuredContent?.items?.some((i) => i.id === id && i.path === `${R}/docs/notes.md`), r.text);
r = await call('list_folder', { path: R, include_hidden: true });
check('the trash is never listed',
    !r.structuredContent?.entries?.some((e) => e.name === '.mcp-trash'), r.text);
r = await call('read_file', { path: `${R}/.mcp-trash/${id}/item` });
check('the trash cannot be reached by path', r.isError, r.text);
r = await call('restore', { id });
check('restore puts it back', !r.isError && read('docs/notes.md').startsWith('# notes'), r.text);
r = await call('delete', { path: `${R}/docs/edit.txt`, purge: true });
check('purge is refused unless the profile allows it', r.isError && exists('docs/edit.txt'), r.text);
r = await call('restore', { id: '20260101T000000Z-00000000' });
check('restoring an unknown id says where to look', r.isError && /list_trash/.test(r.text), r.text);

// --- escapes: nothing outside the root is read or written
const outside = join(DATA, '..', 'outside-secret.txt');
const escapes = [
    [`${R}/../outside-secret.txt`, '..'],
    ['/etc/passwd', 'absolute path'],
    [`${R}/docs/../../outside-secret.txt`, '.. in the middle'],
    [`${R}/docs/a\nb.txt`, 'newline'],
    [`${R}/docs/a\u0001b.txt`, 'control character'],
    ['other-root/file.txt', 'unknown root'],
];
for (const [path, what] of escapes) {
    r = await call('read_file', { path });
    check(`read_file refuses ${what}`, r.isError && !/root:|passwd:/.test(r.text), r.text);
    r = await call('write_file', { path, content: 'pwned', overwrite: true });
    check(`write_file refuses ${what}`, r.isError, r.text);
}
check('nothing was written outside the root', !fs.existsSync(outside));
// A NUL in a name would let "secret\0.txt" pass a check as one name and open as another; a
// lone surrogate is not text. Either the whole request is refused (-32700) or the tool is.
for (const [path, what] of [[`${R}/docs/report.txt\u0000.md`, 'a NUL in the name'],
    [`${R}/docs/\ud800.txt`, 'a lone UTF-16 surrogate (invalid UTF-8)']]) {
    const refused = await call('write_file', { path, content: 'x', overwrite: true }).then(
        (res) => res.isError === true, (err) => /-32600|-32602|-32700/.test(String(err)));
    check(`write_file refuses ${what}`, refused &&
        read('docs/report.txt').startsWith('quarterly') && !exists('docs/report.txt.md'));
}

if (opt.local) {
    fs.symlinkSync('/etc', join(DATA, 'etc-link'));
    fs.symlinkSync('/etc/hostname', join(DATA, 'docs/hostname-link'));
    fs.mkdirSync(join(DATA, 'real'), { recursive: true });
    for (const [path, what] of [
        [`${R}/etc-link/hostname`, 'a symlinked parent folder'],
        [`${R}/docs/hostname-link`, 'a symlink to a file outside'],
    ]) {
        r = await call('read_file', { path });
        check(`read_file refuses ${what}`, r.isError && /symbolic link/.test(r.text), r.text);
        r = await call('write_file', { path, content: 'pwned', overwrite: true });
        check(`write_file refuses ${what}`, r.isError, r.text);
    }
    r = await call('write_file', { path: `${R}/etc-link/pwned.txt`, content: 'x' });
    check('no file is created through a symlinked folder', r.isError &&
        !fs.existsSync('/etc/pwned.txt'), r.text);
    r = await call('list_folder', { path: R });
    check('symlinks are not listed',
        !r.structuredContent?.entries?.some((e) => e.name === 'etc-link'), r.text);
    // A symlink swapped in between check and use: flip a folder and a link to /etc many
    // times while reading through it. Every read must be the real file or refused.
    write('swap/real/secret.txt', 'inside');
    let leaked = false;
    const flipper = setInterval(() => {
        try {
            fs.renameSync(join(DATA, 'swap/real'), join(DATA, 'swap/held'));
            fs.symlinkSync('/etc', join(DATA, 'swap/real'));
            fs.unlinkSync(join(DATA, 'swap/real'));
            fs.renameSync(join(DATA, 'swap/held'), join(DATA, 'swap/real'));
        } catch { /* a race with ourselves is fine */ }
    }, 0);
    for (let i = 0; i < 200; i++) {
        const x = await call('read_file', { path: `${R}/swap/real/hostname` });
        if (!x.isError) leaked = true;
    }
    clearInterval(flipper);
    check('a symlink swapped in during the walk is never followed', !leaked);
}

// --- read-only and size limits are in other runs (see run.sh); errors are isError results
await client.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
