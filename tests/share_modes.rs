//! Share modes between processes (issue 14): an open's `STGM_SHARE_*` and access mode hold
//! against other processes for the whole life of the open, across its commits (which
//! replace the file by a rename), and die with the process that holds them, killed or not,
//! leaving nothing behind.
//!
//! The other process is this test executable run again with `IMSG_SHARE_FILE` set: the
//! `share_holder_child` test then opens that file with `IMSG_SHARE_MODE`, says `ready`, and
//! obeys one command a line on its stdin (`commit`: write a stream and commit; `exit`), each
//! answered by a line on its stdout. Without the variable it does nothing.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use imessage::consts::*;
use imessage::error::ErrorKind;
use imessage::storage::docfile::{create_file, open_file};
use imessage::storage::{Blob, Storage, Version};

const RW: u32 = STGM_READWRITE;

#[test]
fn share_holder_child() {
    let Some(path) = std::env::var_os("IMSG_SHARE_FILE") else {
        return;
    };
    let mode: u32 = std::env::var("IMSG_SHARE_MODE").unwrap().parse().unwrap();
    let root = open_file(Path::new(&path), mode).unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let mut commits = 0u32;
    for line in std::io::stdin().lock().lines() {
        match line.unwrap().as_str() {
            "commit" => {
                commits += 1;
                let text = format!("commit {commits} of the holder");
                root.write_stream("body", &Blob::from_vec(text.into_bytes()))
                    .unwrap();
                root.commit(STGC_DEFAULT).unwrap();
                writeln!(out, "committed").unwrap();
            }
            _ => break,
        }
        out.flush().unwrap();
    }
}

/// Another process holding `path` open with `mode`.
struct Holder {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Holder {
    fn open(path: &Path, mode: u32) -> Holder {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "share_holder_child", "--nocapture", "--quiet"])
            .env("IMSG_SHARE_FILE", path)
            .env("IMSG_SHARE_MODE", mode.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut holder = Holder {
            child,
            stdin,
            stdout,
        };
        holder.wait_for("ready");
        holder
    }

    fn wait_for(&mut self, word: &str) {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "the holder ended before saying {word}");
            if line.trim() == word {
                return;
            }
        }
    }

    fn commit(&mut self) {
        writeln!(self.stdin, "commit").unwrap();
        self.stdin.flush().unwrap();
        self.wait_for("committed");
    }

    /// Ends the holder normally (its opens are released as the process exits).
    fn exit(mut self) {
        writeln!(self.stdin, "exit").unwrap();
        self.stdin.flush().unwrap();
        assert!(self.child.wait().unwrap().success());
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// A compound file with one stream.
fn new_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("shared.msg");
    let root = create_file(&path, RW | STGM_SHARE_EXCLUSIVE, Version::V3).unwrap();
    root.write_stream("body", &Blob::from_vec(b"first".to_vec()))
        .unwrap();
    root.commit(STGC_DEFAULT).unwrap();
    drop(root);
    path
}

/// What an open of `path` with `mode` in this process gives: Ok, or the error kind.
fn try_open(path: &Path, mode: u32) -> Result<(), ErrorKind> {
    open_file(path, mode).map(drop).map_err(|e| e.kind)
}

fn body(path: &Path) -> Vec<u8> {
    let root = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE).unwrap();
    root.read_stream("body", 1 << 20).unwrap()
}

fn refused(outcome: Result<(), ErrorKind>) -> bool {
    matches!(
        outcome,
        Err(ErrorKind::StgShareViolation | ErrorKind::StgLockViolation)
    )
}

#[test]
fn an_exclusive_open_keeps_every_other_process_out_across_its_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_file(dir.path());
    let mut holder = Holder::open(&path, RW | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE);
    for mode in [
        STGM_READ | STGM_SHARE_DENY_NONE,
        STGM_READ | STGM_SHARE_DENY_WRITE,
        RW | STGM_SHARE_DENY_NONE,
        RW | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE,
    ] {
        let outcome = try_open(&path, mode);
        assert!(refused(outcome), "mode {mode:#x}: {outcome:?}");
    }
    // Each commit replaces the file; the locks are on the new one before it takes the name.
    for _ in 0..3 {
        holder.commit();
        let outcome = try_open(&path, STGM_READ);
        assert!(refused(outcome), "after a commit: {outcome:?}");
    }
    holder.exit();
    assert_eq!(body(&path), b"commit 3 of the holder");
}

#[test]
fn deny_write_lets_readers_in_and_keeps_writers_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_file(dir.path());
    let holder = Holder::open(&path, STGM_READ | STGM_SHARE_DENY_WRITE);
    // Readers that let the holder read come in, in this process and in another.
    let second = Holder::open(&path, STGM_READ | STGM_SHARE_DENY_WRITE);
    assert_eq!(try_open(&path, STGM_READ | STGM_SHARE_DENY_NONE), Ok(()));
    // Writing is denied, and so is denying the holder its reading.
    let outcome = try_open(&path, RW | STGM_TRANSACTED | STGM_SHARE_DENY_NONE);
    assert!(refused(outcome), "a writer: {outcome:?}");
    let outcome = try_open(&path, STGM_READ | STGM_SHARE_EXCLUSIVE);
    assert!(refused(outcome), "an exclusive reader: {outcome:?}");
    second.exit();
    let outcome = try_open(&path, RW | STGM_SHARE_DENY_NONE);
    assert!(
        refused(outcome),
        "the first holder still denies writing: {outcome:?}"
    );
    holder.exit();
    assert_eq!(try_open(&path, RW | STGM_SHARE_EXCLUSIVE), Ok(()));
}

#[test]
fn a_writer_keeps_out_an_open_that_denies_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_file(dir.path());
    // Share mode 0 (deny none) denies nothing: two writers may open, as with ole32.
    let writer = Holder::open(&path, RW | STGM_TRANSACTED | STGM_SHARE_DENY_NONE);
    assert_eq!(try_open(&path, STGM_READ | STGM_SHARE_DENY_NONE), Ok(()));
    // But an open that would deny the writer its writing is refused.
    let outcome = try_open(&path, STGM_READ | STGM_SHARE_DENY_WRITE);
    assert!(refused(outcome), "{outcome:?}");
    writer.exit();
    assert_eq!(try_open(&path, STGM_READ | STGM_SHARE_DENY_WRITE), Ok(()));
}

#[test]
fn a_killed_holder_leaves_no_lock_and_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_file(dir.path());
    let mut holder = Holder::open(&path, RW | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE);
    holder.commit();
    assert!(refused(try_open(&path, STGM_READ)));
    holder.kill();
    assert_eq!(
        try_open(&path, RW | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE),
        Ok(())
    );
    assert_eq!(body(&path), b"commit 1 of the holder");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["shared.msg"], "nothing left beside the file");
}
