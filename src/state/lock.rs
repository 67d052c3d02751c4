//! One run at a time per state folder: `totsugo.lock`, held with an advisory lock (`flock`) for
//! the whole run and holding the owner's PID and start time.
//!
//! - Another live run holds the lock: the second run stops at once with exit 2 and names it.
//! - A run that died (kill -9, power cut) cannot hold a `flock`: the kernel drops it with the
//!   process. Its PID is still written in the file (a clean exit empties the file), so the next
//!   run says whose lock it takes over and whether that process is still alive under that PID.
//! - Where the filesystem has no `flock`, the PID alone decides: a live PID blocks.
//!
//! The file itself is never deleted: deleting a lock file another process is about to lock
//! would let two runs lock two different files.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;

pub const LOCK_FILE: &str = "totsugo.lock";

/// Held for the run; released (and emptied) on drop.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

/// What was found in the lock file when the lock was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// Empty file or none: the last run ended cleanly.
    Clean,
    /// A dead run's lock was taken over.
    TakenOver { pid: u32, started: String },
}

impl Lock {
    /// Takes the lock of `dir` (created if missing, mode 0700).
    pub fn acquire(dir: &Path) -> Result<(Lock, Previous), Error> {
        create_private_dir(dir)?;
        let path = dir.join(LOCK_FILE);
        let io = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        let owner = |file: &mut File| -> Option<(u32, String)> {
            let mut text = String::new();
            file.seek(SeekFrom::Start(0)).ok()?;
            file.read_to_string(&mut text).ok()?;
            parse(&text)
        };
        let flock_works = match file.try_lock() {
            Ok(()) => true,
            Err(TryLockError::WouldBlock) => {
                let who = match owner(&mut file) {
                    Some((pid, started)) => format!("PID {pid}、{started} 開始"),
                    None => "PID 不明".into(),
                };
                return Err(Error::Locked(format!(
                    "{}: 別の実行（{who}）がこの状態フォルダを使用中です。終わってからやり直してください",
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => false,
            Err(TryLockError::Error(e)) => return Err(io(e)),
        };
        let previous = match owner(&mut file) {
            None => Previous::Clean,
            Some((pid, started)) => {
                if !flock_works && pid != std::process::id() && alive(pid) {
                    return Err(Error::Locked(format!(
                        "{}: 別の実行（PID {pid}、{started} 開始）がこの状態フォルダを使用中です",
                        path.display()
                    )));
                }
                Previous::TakenOver { pid, started }
            }
        };
        let me = format!("{}\n{}\n", std::process::id(), now_text());
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(me.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok((Lock { file, path }, previous))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Empty = released cleanly; the flock goes with the file handle.
        let _ = self.file.set_len(0);
        let _ = self.file.sync_all();
        let _ = self.file.unlock();
    }
}

fn parse(text: &str) -> Option<(u32, String)> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    Some((pid, lines.next().unwrap_or("").trim().to_string()))
}

/// Whether a process with this PID exists (Linux: /proc).
pub fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("unix {secs}")
}

/// Creates `dir` (and parents) with mode 0700 when missing: it holds 特定個人情報.
pub fn create_private_dir(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_while_the_first_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let (first, prev) = Lock::acquire(dir.path()).unwrap();
        assert_eq!(prev, Previous::Clean);
        let err = Lock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Locked(_)), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("PID {}", std::process::id()))
        );
        drop(first);
        let (_again, prev) = Lock::acquire(dir.path()).unwrap();
        assert_eq!(
            prev,
            Previous::Clean,
            "a clean release leaves nothing to take over"
        );
    }

    #[test]
    fn a_dead_runs_lock_is_taken_over_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), format!("{pid}\nunix 1\n")).unwrap();
        let (lock, prev) = Lock::acquire(dir.path()).unwrap();
        assert_eq!(
            prev,
            Previous::TakenOver {
                pid,
                started: "unix 1".into()
            }
        );
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert!(text.starts_with(&format!("{}\n", std::process::id())));
        drop(lock);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(),
            ""
        );
    }
}
