//! Crash safety of commits (DESIGN decision 9): a writer process commits known versions of
//! one compound file, one after another, and is killed with SIGKILL; whatever instant it
//! dies at, the file must open and hold a complete version — the last one committed or the
//! one being committed — and the writer leaves at most one temporary file, which the next
//! commit to that file removes (its sweep for files whose writer died, see
//! `remove_stale_temps`).
//!
//! Two ways of choosing the instant:
//! - `kill_at_every_file_operation`: a preloaded shim (`tests/crash_shim.c`) counts the
//!   calls that change files (open, write, truncate, fsync, rename, unlink, flock) and kills
//!   the writer on entering the N-th; every N of a run of commits is tried, from the same
//!   starting file, so every state the file system passes through is checked, including
//!   the instants between the sync of the new file and its rename and between the rename
//!   and the sync of the directory.
//! - `kill_after_many_delays`: the writer commits in a loop and is killed after 200
//!   different delays spread over several commits, without any shim; the file carries on
//!   from whatever survived.
//!
//! And a real full disk: `a_full_disk_fails_the_commit_and_keeps_the_file` runs the writer
//! under file-size limits (`RLIMIT_FSIZE`) at which its writes fail with `EFBIG`, as on a
//! full disk; every commit that fails says `STG_E_MEDIUMFULL` and leaves the file as it was.
//!
//! The writer is this test executable run again with `IMSG_CRASH_DIR` set (the
//! `crash_writer_child` test does the writing then, and nothing otherwise).
//!
//! SIGKILL loses nothing the kernel already has; a power cut could also lose what was not
//! synced. The commit syncs the new file before the rename and the directory after it,
//! so the old-or-new property holds there too, but no test here cuts the power.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use imessage::consts::*;
use imessage::error::Result;
use imessage::storage::Storage;
use imessage::storage::docfile::{create_file, open_file, remove_stale_temps};
use sha2::{Digest, Sha256};

const FILE: &str = "crash.msg";
const SIGKILL: i32 = 9;
const RW: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

// ===== the versions =====

fn bytes(v: u32, salt: u32, len: usize) -> Vec<u8> {
    let mut x = u64::from(v) << 32 | u64::from(salt) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The streams of version `v`: (storage, stream) -> content. Sizes change with `v`, so
/// consecutive versions differ in length and shape (mini streams, regular ones, one over
/// the 1 MiB at which stream content moves to the scratch file; a storage that comes and
/// goes).
fn streams_of(v: u32) -> BTreeMap<(String, String), Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut put = |stg: &str, name: &str, data: Vec<u8>| {
        m.insert((stg.to_string(), name.to_string()), data);
    };
    put("", "version", v.to_le_bytes().to_vec());
    for i in 0..5u32 {
        let len = ((v * 37 + i * 101) % 3000 + 1) as usize;
        put("", &format!("small{i}"), bytes(v, i, len));
    }
    put(
        "",
        "big",
        bytes(v, 99, 100_000 + (v % 4) as usize * 600_000),
    );
    put("sub", "inner", bytes(v, 7, ((v * 13) % 5000) as usize));
    if v % 2 == 1 {
        put("odd", "x", bytes(v, 8, (v % 700) as usize + 1));
    }
    m
}

fn checksum(streams: &BTreeMap<(String, String), Vec<u8>>) -> Vec<u8> {
    let mut h = Sha256::new();
    for ((stg, name), data) in streams {
        h.update(stg.as_bytes());
        h.update([0]);
        h.update(name.as_bytes());
        h.update([0]);
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    }
    h.finalize().to_vec()
}

fn write_stream(stg: &dyn Storage, name: &str, data: &[u8]) -> Result<()> {
    let mut s = stg.create_stream(name, RW | STGM_CREATE)?;
    let mut done = 0;
    while done < data.len() {
        let n = (data.len() - done).min(64 * 1024);
        assert_eq!(s.write(&data[done..done + n])?, n);
        done += n;
    }
    Ok(())
}

/// Makes `root` hold version `v` (whatever it held before).
fn write_version(root: &dyn Storage, v: u32) {
    try_write_version(root, v).unwrap()
}

fn try_write_version(root: &dyn Storage, v: u32) -> Result<()> {
    let streams = streams_of(v);
    let names: Vec<String> = root.elements()?.into_iter().map(|e| e.name).collect();
    if v.is_multiple_of(2) && names.iter().any(|n| n == "odd") {
        root.destroy_element("odd")?;
    }
    let mut storages: BTreeMap<&str, Arc<dyn Storage>> = BTreeMap::new();
    for ((stg, name), data) in &streams {
        if stg.is_empty() {
            write_stream(root, name, data)?;
        } else {
            if !storages.contains_key(stg.as_str()) {
                let s = match root.open_storage(stg, RW) {
                    Ok(s) => s,
                    Err(_) => root.create_storage(stg, RW)?,
                };
                s.set_class([v as u8; 16])?;
                storages.insert(stg.as_str(), s);
            }
            write_stream(storages[stg.as_str()].as_ref(), name, data)?;
        }
    }
    write_stream(root, "checksum", &checksum(&streams))
}

fn read_stream(stg: &dyn Storage, name: &str) -> Vec<u8> {
    stg.read_stream(name, 1 << 30).unwrap()
}

/// Opens the file as a reader would and checks it holds exactly one complete version;
/// returns that version.
fn check_file(path: &Path) -> u32 {
    let root = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE)
        .unwrap_or_else(|e| panic!("the file does not open: {e}"));
    let v = u32::from_le_bytes(read_stream(root.as_ref(), "version").try_into().unwrap());
    let want = streams_of(v);
    let mut seen = BTreeMap::new();
    for e in root.elements().unwrap() {
        match e.kind {
            imessage::storage::ElementKind::Stream => {
                seen.insert(
                    (String::new(), e.name.clone()),
                    read_stream(root.as_ref(), &e.name),
                );
            }
            imessage::storage::ElementKind::Storage => {
                let sub = root
                    .open_storage(&e.name, STGM_READ | STGM_SHARE_EXCLUSIVE)
                    .unwrap();
                assert_eq!(sub.stat().unwrap().clsid, [v as u8; 16], "version {v}");
                for inner in sub.elements().unwrap() {
                    seen.insert(
                        (e.name.clone(), inner.name.clone()),
                        read_stream(sub.as_ref(), &inner.name),
                    );
                }
            }
        }
    }
    let sum = seen
        .remove(&(String::new(), "checksum".to_string()))
        .expect("checksum stream");
    assert!(
        seen == want,
        "version {v}: content differs from what was written"
    );
    assert_eq!(sum, checksum(&want), "version {v}: checksum");
    v
}

// ===== the writer =====

/// The writer, when this executable runs as one (`IMSG_CRASH_DIR` set): commits versions
/// `IMSG_CRASH_FROM + 1 ..` (`IMSG_CRASH_COMMITS` of them, 0 = until killed), appending
/// each number to `progress` once its commit has returned. Three ways of committing take
/// turns: a transacted open and `Commit`, a direct-mode open published at release, and a
/// transacted `STGM_CREATE` over the file.
#[test]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os("IMSG_CRASH_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let path = dir.join(FILE);
    let from: u32 = std::env::var("IMSG_CRASH_FROM").unwrap().parse().unwrap();
    let commits: u32 = std::env::var("IMSG_CRASH_COMMITS")
        .unwrap()
        .parse()
        .unwrap();
    let mut progress = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("progress"))
        .unwrap();
    if std::env::var_os("IMSG_CRASH_FALLIBLE").is_some() {
        // One transacted commit (of version `IMSG_CRASH_TO`) whose failure is reported,
        // not a panic.
        let v: u32 = std::env::var("IMSG_CRASH_TO").unwrap().parse().unwrap();
        let outcome = open_file(&path, RW | STGM_TRANSACTED).and_then(|root| {
            try_write_version(root.as_ref(), v)?;
            root.commit(STGC_DEFAULT)
        });
        let line = match outcome {
            Ok(()) => format!("{v}\n"),
            Err(e) => format!("error {:?} {}\n", e.kind, e.message),
        };
        progress.write_all(line.as_bytes()).unwrap();
        return;
    }
    let mut v = from;
    while commits == 0 || v < from + commits {
        v += 1;
        match v % 3 {
            0 => {
                let root = open_file(&path, RW | STGM_TRANSACTED).unwrap();
                write_version(root.as_ref(), v);
                root.commit(STGC_DEFAULT).unwrap();
            }
            1 => {
                // Direct mode: published when the root is released.
                let root = open_file(&path, RW).unwrap();
                write_version(root.as_ref(), v);
            }
            _ => {
                let root = create_file(
                    &path,
                    RW | STGM_CREATE | STGM_TRANSACTED,
                    imessage::storage::Version::V3,
                )
                .unwrap();
                write_version(root.as_ref(), v);
                root.commit(STGC_DEFAULT).unwrap();
            }
        }
        progress.write_all(format!("{v}\n").as_bytes()).unwrap();
    }
}

// ===== the harness =====

struct Run {
    dir: PathBuf,
}

impl Run {
    fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    fn writer(&self, from: u32, commits: u32) -> Command {
        let _ = std::fs::remove_file(self.dir.join("progress"));
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "crash_writer_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ])
        .env("IMSG_CRASH_DIR", &self.dir)
        .env("IMSG_CRASH_FROM", from.to_string())
        .env("IMSG_CRASH_COMMITS", commits.to_string())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        cmd
    }

    /// The last version the writer reported as committed.
    fn last_committed(&self, from: u32) -> u32 {
        std::fs::read_to_string(self.dir.join("progress"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .next_back()
            .unwrap_or(from)
    }

    fn temps(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
            .collect()
    }

    /// After a kill: the file holds version `last` or `last + 1`, and at most one
    /// temporary file is left, which the sweep the next commit does removes (called here
    /// directly; the next writer's first commit would). Returns (version, files left).
    fn check_after_kill(&self, last: u32) -> (u32, usize) {
        let v = check_file(&self.path());
        assert!(
            v == last || v == last + 1,
            "the file holds version {v}; the writer had committed {last}"
        );
        let left = self.temps().len();
        assert!(left <= 1, "{left} temporary files left by one writer");
        assert_eq!(remove_stale_temps(&self.path()), left);
        assert!(self.temps().is_empty(), "left: {:?}", self.temps());
        (v, left)
    }
}

fn new_run() -> (tempfile::TempDir, Run) {
    let tmp = tempfile::Builder::new()
        .prefix("imsg-crash")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let run = Run {
        dir: tmp.path().to_path_buf(),
    };
    let root = create_file(
        &run.path(),
        RW | STGM_CREATE,
        imessage::storage::Version::V3,
    )
    .unwrap();
    write_version(root.as_ref(), 1);
    drop(root);
    assert_eq!(check_file(&run.path()), 1);
    (tmp, run)
}

/// Compiles the preloaded shim.
fn shim() -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crash_shim.c");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libimsg_crash_shim.so");
    let status = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-ldl")
        .status()
        .expect("running gcc");
    assert!(status.success(), "compiling {}", src.display());
    out
}

#[test]
fn kill_at_every_file_operation() {
    const COMMITS: u32 = 4;
    let shim = shim();
    let (_tmp, run) = new_run();
    let start = std::fs::read(run.path()).unwrap();

    // A run without a kill, logging every call: how many there are, and which is which.
    let log = run.dir.join("io.log");
    let out = run
        .writer(1, COMMITS)
        .env("LD_PRELOAD", &shim)
        .env("IMSG_IO_LOG", &log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run.last_committed(1), 1 + COMMITS);
    assert_eq!(check_file(&run.path()), 1 + COMMITS);
    let calls: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect();
    assert!(calls.iter().filter(|c| *c == "rename").count() as u32 >= COMMITS);

    let mut by_call: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outcome: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut killed, mut temps_left) = (0, 0);
    for (n, call) in calls.iter().enumerate() {
        let n = n + 1;
        std::fs::write(run.path(), &start).unwrap();
        for t in run.temps() {
            std::fs::remove_file(t).unwrap();
        }
        let out = run
            .writer(1, COMMITS)
            .env("LD_PRELOAD", &shim)
            .env("IMSG_KILL_AT", n.to_string())
            .output()
            .unwrap();
        if out.status.signal() == Some(SIGKILL) {
            killed += 1;
        } else {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let last = run.last_committed(1);
        let (v, left) = run.check_after_kill(last);
        temps_left += left;
        *by_call.entry(call.as_str()).or_default() += 1;
        *outcome
            .entry(if v == last { "old" } else { "new" })
            .or_default() += 1;
    }
    println!(
        "kill points tried: {} (every file operation of {COMMITS} commits; {killed} killed the \
         writer); files checked: {}; the file held the last committed version {} times and \
         the one being committed {} times; {temps_left} temporary files were left, all \
         removed by the sweep of the next commit; kills by call: {by_call:?}",
        calls.len(),
        calls.len(),
        outcome.get("old").unwrap_or(&0),
        outcome.get("new").unwrap_or(&0),
    );
    assert!(killed as f64 >= calls.len() as f64 * 0.9);
    assert!(by_call["fsync"] >= 2 * COMMITS as usize && by_call["rename"] >= COMMITS as usize);
}

#[test]
fn kill_after_many_delays() {
    const KILLS: u32 = 200;
    let (_tmp, run) = new_run();

    // How long a commit takes here.
    let t = Instant::now();
    let out = run.writer(1, 6).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let per_run = t.elapsed();
    let mut version = check_file(&run.path());
    assert_eq!(version, 7);
    // Delays from 0 to the time of three commits after start-up, in a scrambled order.
    let span = per_run.mul_f64(0.6);
    let (mut old, mut new, mut temps_left, mut completed) = (0, 0, 0, 0);
    for i in 0..KILLS {
        let step = (i * 73) % KILLS;
        let delay = span.mul_f64(f64::from(step) / f64::from(KILLS));
        let mut child = run.writer(version, 0).spawn().unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.signal() != Some(SIGKILL) {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("the writer failed: {status}\n{err}");
        }
        let last = run.last_committed(version);
        let (v, left) = run.check_after_kill(last);
        if v == last {
            old += 1;
        } else {
            new += 1;
        }
        completed += last - version;
        temps_left += left;
        version = v;
    }
    println!(
        "kill points tried: {KILLS} (delays 0 to {:?}); files checked: {KILLS}; {completed} \
         commits completed in all; the file held the last committed version {old} times and \
         the one being committed {new} times; {temps_left} temporary files were left, all \
         removed by the sweep of the next commit",
        span
    );
    assert!(completed > 0);
}

/// Not a kill: a file whose temporary file is still being written by a live writer keeps
/// it (the writer holds it locked), while one left by a dead writer goes.
#[test]
fn a_live_writers_temporary_file_is_kept() {
    let (_tmp, run) = new_run();
    let live = run.dir.join(format!(".{FILE}.aB3dE9.tmp"));
    let mut f = std::fs::File::create(&live).unwrap();
    f.lock().unwrap();
    f.write_all(b"partial").unwrap();
    assert_eq!(remove_stale_temps(&run.path()), 0);
    assert!(live.exists());
    drop(f);
    assert_eq!(remove_stale_temps(&run.path()), 1);
}

/// A real full disk: the writer runs under a file-size limit (`RLIMIT_FSIZE`, through
/// `prlimit`, with `SIGXFSZ` ignored so that writes past the limit fail with `EFBIG` as on a
/// full disk) of 32 KiB to 2.5 MiB, for the scratch file of its large stream and for the new
/// compound file alike. Each commit either succeeds or fails with `STG_E_MEDIUMFULL`, and the
/// file holds the old version intact when it fails, with no temporary file left.
#[test]
fn a_full_disk_fails_the_commit_and_keeps_the_file() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("prlimit (util-linux) is not installed: skipped");
        return;
    }
    let (_tmp, run) = new_run();
    let (mut failed, mut succeeded) = (0, 0);
    let mut where_failed = std::collections::BTreeSet::new();
    let mut version = 1;
    let mut limits = Vec::new();
    for k in 0..60u64 {
        let limit = 32 * 1024 + k * 44 * 1024;
        // Versions whose large stream stays in memory (at most 700 kB) fail in the writing
        // of the new compound file; the others (1.3 MB, 1.9 MB) may fail already in the
        // scratch file that holds the stream until the commit.
        let spills = k % 2 == 1;
        let next = (version + 1..).find(|v| (v % 4 >= 2) == spills).unwrap();
        limits.push(limit);
        let exe = std::env::current_exe().unwrap();
        let cmd = run.writer(version, 1);
        let args: Vec<String> = std::iter::once(exe.display().to_string())
            .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
            .collect();
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg("trap '' XFSZ; exec prlimit --fsize=\"$0\" -- \"$@\"")
            .arg(limit.to_string())
            .args(&args)
            .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .env("IMSG_CRASH_FALLIBLE", "1")
            .env("IMSG_CRASH_TO", next.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = sh.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = std::fs::read_to_string(run.dir.join("progress")).unwrap();
        let v = check_file(&run.path());
        if let Some(err) = report.strip_prefix("error ") {
            assert!(err.starts_with("StgMediumFull"), "limit {limit}: {err}");
            let what = err.trim_start_matches("StgMediumFull ");
            where_failed.insert(what.split(':').next().unwrap_or(what).to_string());
            assert_eq!(
                v, version,
                "limit {limit}: the failed commit changed the file"
            );
            failed += 1;
        } else {
            assert_eq!(report.trim(), next.to_string());
            assert_eq!(v, next);
            succeeded += 1;
            version = v;
        }
        assert!(run.temps().is_empty(), "limit {limit}: {:?}", run.temps());
    }
    println!(
        "full disk (file-size limits {} to {} bytes): {failed} commits failed with \
         STG_E_MEDIUMFULL leaving the file intact, {succeeded} succeeded; {} files checked; \
         failed while {where_failed:?}",
        limits[0],
        limits[limits.len() - 1],
        limits.len()
    );
    assert!(
        failed >= 10 && succeeded >= 10,
        "{failed} failed, {succeeded} succeeded"
    );
}
