// Reads .msg files with npm @kenjiuno/msgreader and prints, per file, one JSON line:
// {file, ok, error?, subject, body, recipients:[{name,email,type}], attachments:[{name,kind,data_b64}]}
// Usage: NODE_PATH=<prefix>/node_modules node read_msgreader.js FILE...
const fs = require('fs');
const MsgReader = require('@kenjiuno/msgreader').default;
for (const file of process.argv.slice(2)) {
  const out = { file };
  try {
    const reader = new MsgReader(fs.readFileSync(file));
    const d = reader.getFileData();
    if (d.error) throw new Error(d.error);
    out.subject = d.subject === undefined ? null : d.subject;
    out.body = d.body === undefined ? null : d.body;
    out.recipients = (d.recipients || []).map(r => ({ name: r.name, email: r.email || r.smtpAddress, type: r.recipType }));
    out.attachments = (d.attachments || []).map(a => {
      const kind = a.innerMsgContent ? 'embedded' : 'value';
      let data_b64 = null;
      if (kind === 'value') {
        try {
          const got = reader.getAttachment(a);
          data_b64 = Buffer.from(got.content).toString('base64');
        } catch (e) { data_b64 = null; }
      }
      return { name: a.fileName || a.name || null, kind, data_b64 };
    });
    out.ok = true;
  } catch (e) {
    out.ok = false;
    out.error = String(e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
