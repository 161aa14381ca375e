//! `imsg`: look into, build and unpack Outlook `.msg` files from the command line.
//!
//! Built on the library's public C API (`StgOpenStorage`, `OpenIMsgSession`,
//! `OpenIMsgOnIStg` and the `IMessage`, `IAttach`, `IMAPITable`, `IStream` and `IStorage`
//! vtables), the way a C program uses it, so every run exercises what users call.

mod api;
mod blobs;
mod body;
mod create;
mod dump;
mod extract;
mod pyjson;
mod shape;
mod tnef;
mod value;

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
imsg: read, write and unpack Outlook .msg files

Usage:
  imsg dump [--save-data DIR] FILE.msg           print the message as JSON
  imsg create [--data DIR] SPEC.json OUT.msg     build a message from that JSON
  imsg attachments FILE.msg DIR                  extract the attachments into DIR
  imsg body [--html|--rtf|--text] FILE.msg       print the body a person reads
  imsg tnef-to-msg WINMAIL.DAT OUT.msg           decode a TNEF stream into a message
  imsg msg-to-tnef FILE.msg WINMAIL.DAT          encode a message as TNEF
  imsg help [COMMAND] | imsg COMMAND --help      explain a command
  imsg --version

Exit status: 0 on success, 1 when a file cannot be read or written, 2 on a usage error.
";

const DUMP_HELP: &str = "\
Usage: imsg dump [--save-data DIR] FILE.msg

Prints FILE.msg as JSON on standard output, in the shape of the public corpus dumps
(keys sorted, one space of indent): the compound file's version and root class, the
message's header counters, properties, recipients and attachments, embedded messages
inside attachments (recursively), and the named-property map.

Each property is keyed by its tag (\"0x0037001F\") and gives its type, its PROPATTR flags,
its canonical name or its named-property name, and its value: numbers, booleans, text,
times as ISO-8601 UTC (plus the raw FILETIME), GUIDs as text, 8-bit strings as hex plus
text decoded with the message's code page, binaries as hex up to 4096 bytes and as
sha256 + len above that (attachment data always as sha256 + len). The properties are
those the library's API shows, so they include what it computes (PR_OBJECT_TYPE,
PR_ACCESS, PR_ATTACH_SIZE, ...). An OLE attachment also gets \"object_storage\", its
object's storage.

Options:
  --save-data DIR   also write every value given only as sha256 + len into DIR, one file
                    named by its sha256, so that `imsg create --data DIR` can rebuild the
                    message from the JSON
  -h, --help        this text
";

const CREATE_HELP: &str = "\
Usage: imsg create [--data DIR] SPEC.json OUT.msg

Builds OUT.msg from JSON in the shape `imsg dump` prints (a whole dump, or just its
\"message\" object). Every property type is accepted except PT_ERROR (MAPI defines SetProps
to ignore it). Recipients are added with ModifyRecipients, attachments with CreateAttach,
embedded messages with OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage, MAPI_CREATE),
named properties with GetIDsFromNames(MAPI_CREATE) in the order of \"named_properties\"
(so a map numbered densely from 0x8000 keeps its ids).

Where a binary value comes from, in this order:
  \"hex\"            inline bytes (any size)
  \"file\"           a file path, relative to SPEC.json's folder
  \"sha256\"         the file of that name in the --data folder (see `imsg dump --save-data`)

The same goes for the streams of \"object_storage\" (an OLE attachment's storage) and of the
top-level \"unexpected_entries\" (written with IStorage beside the message).

Properties the library computes (PR_ACCESS, PR_OBJECT_TYPE, PR_ATTACH_NUM, ...) and
entries that are not properties (\"orphan_stream\", \"raw\", \"missing_stream\") are skipped;
\"flags\" are applied with SetAttribIMsgOnIStg; \"header\" and \"storage\" are the library's
to choose. A message's \"rtf\" (uncompressed RTF text) is stored compressed in
PR_RTF_COMPRESSED through WrapCompressedRTFStream; its \"rtf_sync\" (a number: 1 the RTF
changed, 2 the body changed) calls RTFSync with those flags once its properties,
recipients and attachments are set. What cannot be applied is reported on standard
error, one line each, and does not fail the command. A spec without PR_MESSAGE_CLASS is
written as it is, with a warning: readers such as extract-msg and Apache POI refuse a .msg
without a message class.
OUT.msg is replaced if it exists.

Options:
  --data DIR   where values given as sha256 are found
  -h, --help   this text
";

const ATTACHMENTS_HELP: &str = "\
Usage: imsg attachments FILE.msg DIR

Writes each attachment of FILE.msg into DIR (created if needed), named after its long
file name (else its short file name, display name, or attachment-N), made safe and unique:
- data attachments: their bytes;
- embedded messages: a standalone .msg (a new top-level message with the embedded one's
  properties, recipients, attachments and nested messages, and the file's named-property
  map, so its header is the 32-byte top-level one [MS-OXMSG] requires);
- OLE attachments: the object's storage as a compound file (.ole);
- attachments by reference have no data and are listed only.
Prints one line per attachment: its number, its kind and the file written.

Options:
  -h, --help   this text
";

const TNEF_TO_MSG_HELP: &str = "\
Usage: imsg tnef-to-msg WINMAIL.DAT OUT.msg

Decodes a TNEF stream (winmail.dat, application/ms-tnef) into a new message OUT.msg with
OpenTnefStream(TNEF_DECODE) and ITnef::ExtractProps: the legacy attributes mapped to
properties and the encapsulated ones on top, 8-bit text read in the stream's code page
(attOemCodepage), named properties, recipients, attachments, embedded messages and OLE
objects. Damage in the stream (bad checksums, records cut short) is reported on standard
error, one line each, and the readable part is kept; a file that is not TNEF fails.
OUT.msg is replaced if it exists.

Options:
  -h, --help   this text
";

const MSG_TO_TNEF_HELP: &str = "\
Usage: imsg msg-to-tnef FILE.msg WINMAIL.DAT

Encodes FILE.msg as a TNEF stream with OpenTnefStream(TNEF_ENCODE), ITnef::AddProps
(everything) and ITnef::Finish, in best-data mode: each property with a legacy attribute
is written there and, when that attribute cannot give it back exactly, also encapsulated;
the rest goes into attMsgProps, the recipient table and each attachment's attAttachment;
embedded messages become nested TNEF streams. The key is taken from the clock. What
cannot be encoded is reported on standard error. WINMAIL.DAT is replaced if it exists.

Options:
  -h, --help   this text
";

const BODY_HELP: &str = "\
Usage: imsg body [--html | --rtf | --text] [--codepage N] FILE.msg

Writes the body of FILE.msg that Outlook would show to standard output, chosen as
Outlook does: PR_NATIVE_BODY_INFO when the body it names is there, else PR_HTML, else
the RTF when PR_RTF_IN_SYNC is TRUE, else PR_BODY, else RTF out of sync. HTML or plain
text encapsulated in the RTF ([MS-OXRTFEX]) is taken out of it. Standard error says which
form was written (html, rtf or text). `imsg dump` shows the stored values only.

Options:
  --html, --rtf, --text   convert the body to that form (text prefers PR_BODY when the
                          message has one; HTML from text is a minimal document)
  --codepage N            HTML and text in Windows code page N (default UTF-8;
                          1200 is UTF-16LE); RTF is written as stored
  -h, --help              this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("imsg: {msg}");
            eprintln!("Try 'imsg --help'.");
            ExitCode::from(2)
        }
        Err(Failure::Failed(msg)) => {
            eprintln!("imsg: {msg}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Failed(String),
}

fn usage<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Usage(msg.into()))
}

/// Options with their values, and positional arguments.
type Parsed<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);

/// Splits `args` into options (with their values) and positional arguments.
fn parse<'a>(args: &'a [String], with_value: &[&str]) -> Result<Parsed<'a>, Failure> {
    let mut opts = Vec::new();
    let mut pos = Vec::new();
    let mut it = args.iter();
    let mut only_positional = false;
    while let Some(a) = it.next() {
        if only_positional || !a.starts_with('-') || a == "-" {
            pos.push(a.as_str());
        } else if a == "--" {
            only_positional = true;
        } else if let Some((k, v)) = a.split_once('=').filter(|(k, _)| with_value.contains(k)) {
            opts.push((k, v));
        } else if with_value.contains(&a.as_str()) {
            match it.next() {
                Some(v) => opts.push((a.as_str(), v.as_str())),
                None => return usage(format!("{a} needs a value")),
            }
        } else {
            return usage(format!("unknown option {a}"));
        }
    }
    Ok((opts, pos))
}

fn wants_help(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some(cmd) = args.first() else {
        print!("{USAGE}");
        return usage("no command given");
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        "-V" | "--version" => {
            println!("imsg {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        "help" => {
            match rest.first().map(String::as_str) {
                None => print!("{USAGE}"),
                Some("dump") => print!("{DUMP_HELP}"),
                Some("create") => print!("{CREATE_HELP}"),
                Some("attachments") => print!("{ATTACHMENTS_HELP}"),
                Some("body") => print!("{BODY_HELP}"),
                Some("tnef-to-msg") => print!("{TNEF_TO_MSG_HELP}"),
                Some("msg-to-tnef") => print!("{MSG_TO_TNEF_HELP}"),
                Some(other) => return usage(format!("no command '{other}'")),
            }
            Ok(())
        }
        "dump" if wants_help(rest) => {
            print!("{DUMP_HELP}");
            Ok(())
        }
        "create" if wants_help(rest) => {
            print!("{CREATE_HELP}");
            Ok(())
        }
        "attachments" if wants_help(rest) => {
            print!("{ATTACHMENTS_HELP}");
            Ok(())
        }
        "body" if wants_help(rest) => {
            print!("{BODY_HELP}");
            Ok(())
        }
        "body" => {
            let mut form = 0;
            let mut forms = Vec::new();
            let mut args = Vec::new();
            for a in rest {
                match body::form_flag(a) {
                    Some(f) => {
                        form = f;
                        forms.push(a.as_str());
                    }
                    None => args.push(a.clone()),
                }
            }
            if forms.len() > 1 {
                return usage(format!("body takes one of {}", forms.join(", ")));
            }
            let (opts, pos) = parse(&args, &["--codepage"])?;
            let [file] = pos[..] else {
                return usage("body takes one FILE.msg");
            };
            let codepage = match opts.iter().find(|(k, _)| *k == "--codepage") {
                Some((_, v)) => v
                    .parse::<u32>()
                    .map_err(|_| Failure::Usage(format!("--codepage needs a number, not {v}")))?,
                None => 0,
            };
            let kind = body::print_body(file, form, codepage)
                .map_err(|e| Failure::Failed(format!("{file}: {e}")))?;
            eprintln!("imsg: {kind}");
            Ok(())
        }
        "dump" => {
            let (opts, pos) = parse(rest, &["--save-data"])?;
            let [file] = pos[..] else {
                return usage("dump takes one FILE.msg");
            };
            let mut blobs = match opts.iter().find(|(k, _)| *k == "--save-data") {
                Some((_, dir)) => blobs::BlobStore::in_dir(Path::new(dir)),
                None => blobs::BlobStore::none(),
            };
            let v = dump::dump_file(file, &mut blobs)
                .map_err(|e| Failure::Failed(format!("{file}: {e}")))?;
            let text = pyjson::to_string(&v);
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Failure::Failed(format!("writing the dump: {e}")))
        }
        "create" => {
            let (opts, pos) = parse(rest, &["--data"])?;
            let [spec, out] = pos[..] else {
                return usage("create takes SPEC.json and OUT.msg");
            };
            let data = opts
                .iter()
                .find(|(k, _)| *k == "--data")
                .map(|(_, d)| Path::new(*d));
            let report = create::create_file(Path::new(spec), out, data)
                .map_err(|e| Failure::Failed(e.to_string()))?;
            for line in report {
                eprintln!("imsg: {line}");
            }
            Ok(())
        }
        "attachments" => {
            let (_, pos) = parse(rest, &[])?;
            let [file, dir] = pos[..] else {
                return usage("attachments takes FILE.msg and DIR");
            };
            let lines = extract::extract(file, Path::new(dir))
                .map_err(|e| Failure::Failed(e.to_string()))?;
            for line in lines {
                println!("{line}");
            }
            Ok(())
        }
        "tnef-to-msg" if wants_help(rest) => {
            print!("{TNEF_TO_MSG_HELP}");
            Ok(())
        }
        "msg-to-tnef" if wants_help(rest) => {
            print!("{MSG_TO_TNEF_HELP}");
            Ok(())
        }
        "tnef-to-msg" | "msg-to-tnef" => {
            let (_, pos) = parse(rest, &[])?;
            let [input, out] = pos[..] else {
                return usage(format!("{cmd} takes an input file and an output file"));
            };
            let problems = if cmd == "tnef-to-msg" {
                tnef::tnef_to_msg(input, out)
            } else {
                tnef::msg_to_tnef(input, out)
            }
            .map_err(|e| Failure::Failed(format!("{input}: {e}")))?;
            for p in problems {
                eprintln!("imsg: {p}");
            }
            Ok(())
        }
        other => usage(format!("no command '{other}'")),
    }
}
