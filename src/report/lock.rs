//! One run at a time per folder: `totsugo.lock`, held with an advisory lock (`flock`) for the
//! whole run and holding the owner's PID and start time. Every command that writes an output
//! folder takes it there ([`claim`]), and `run --state` in the state folder as well, so a second
//! run into a folder another run is writing stops at once with exit 2 and names the PID; the
//! temporary files of a killed run are removed only while the lock is held.
//!
//! - A run that died (kill -9, power cut) cannot hold a `flock`: the kernel drops it with the
//!   process. Its PID is still written in the file, so the next run says whose lock it takes
//!   over and whether that process is still alive under that PID.
//! - A clean exit deletes the file (still holding the lock), so a finished run leaves nothing
//!   behind. A run that opened the file just before it was deleted gets the lock on a deleted
//!   file; it checks after locking that the path still names the file it holds, and starts
//!   over otherwise, so two runs never hold two different files.
//! - Where the filesystem has no `flock`, the PID alone decides: a live PID blocks.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::log::Log;

pub const LOCK_FILE: &str = "totsugo.lock";

/// Held for the run; released (and deleted) on drop.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

/// What was found in the lock file when the lock was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// No file, or an empty one: the last run ended cleanly.
    Clean,
    /// A dead run's lock was taken over.
    TakenOver { pid: u32, started: String },
}

/// Whether `file` (locked) is still the file at `path`: false when a releasing run deleted it
/// (or a new one was made) between our open and our lock.
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_: &File, path: &Path) -> bool {
    path.exists()
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
        let owner = |file: &mut File| -> Option<(u32, String)> {
            let mut text = String::new();
            file.seek(SeekFrom::Start(0)).ok()?;
            file.read_to_string(&mut text).ok()?;
            parse(&text)
        };
        let mut attempts = 0;
        let (mut file, flock_works) = loop {
            attempts += 1;
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
            match file.try_lock() {
                Ok(()) if still_at(&file, &path) || attempts > 20 => break (file, true),
                // Deleted by the run that just released it: lock the new file.
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) => {
                    let who = match owner(&mut file) {
                        Some((pid, started)) => format!("PID {pid}、{started} 開始"),
                        None => "PID 不明".into(),
                    };
                    return Err(Error::Locked(format!(
                        "{}: 別の実行（{who}）がこのフォルダを使用中です。終わってからやり直してください",
                        path.display()
                    )));
                }
                Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                    break (file, false);
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        };
        let previous = match owner(&mut file) {
            None => Previous::Clean,
            Some((pid, started)) => {
                if !flock_works && pid != std::process::id() && alive(pid) {
                    return Err(Error::Locked(format!(
                        "{}: 別の実行（PID {pid}、{started} 開始）がこのフォルダを使用中です",
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
        // Deleted while still held (see the module doc); emptied first, so a filesystem that
        // refuses the delete still shows a clean release.
        let _ = self.file.set_len(0);
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// The folders a run writes, locked and cleaned for the run.
#[derive(Debug)]
pub struct Claimed {
    _locks: Vec<Lock>,
}

/// Claims the output folder (and the state folder, when there is one) for one run:
/// 1. each folder is created 0700, or an existing one that group or others can write is
///    tightened to 0700 (or refused: see [`secure_dir`]), and the log says which;
/// 2. each is locked (the state folder first); another live run: exit 2 naming its PID;
/// 3. temporary files a killed run left (`.totsugo-*`) are removed, under the lock only, so
///    never another live run's.
pub fn claim(out: &Path, state: Option<&Path>, log: &mut Log) -> Result<Claimed, Error> {
    let mut dirs: Vec<&Path> = Vec::new();
    if let Some(state) = state {
        dirs.push(state);
    }
    dirs.push(out);
    let mut locks = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        create_private_dir(dir)?;
        if let Some(note) = secure_dir(dir)? {
            log.warn(note);
        }
        let same = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if seen.contains(&same) {
            continue;
        }
        seen.push(same);
        let (lock, previous) = Lock::acquire(dir)?;
        if let Previous::TakenOver { pid, started } = &previous {
            let state = if alive(*pid) {
                "その PID では今は別のプロセスが動いています"
            } else {
                "そのプロセスはもうありません"
            };
            log.warn(format!(
                "{}: 前回の実行（PID {pid}、{started} 開始）は途中で終わっていました（{state}）。ロックを引き継ぎます。\
                 前回の出力と基準は最後に完了した実行のままです",
                dir.display()
            ));
        }
        let removed = remove_stale_temps(dir);
        if removed > 0 {
            log.detail(format!(
                "{}: 中断された実行の一時ファイルを {removed} 個消しました",
                dir.display()
            ));
        }
        locks.push(lock);
    }
    Ok(Claimed { _locks: locks })
}

/// Removes `.totsugo-*` temp files and folders a killed run left in `dir`; returns how many.
/// A previous `corrections/` moved aside by a run killed mid-swap (only where the atomic
/// exchange is not available) is put back first. Call only while holding `dir`'s lock.
fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut names: Vec<(String, std::path::PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
        .filter(|(name, _)| name.starts_with(".totsugo-"))
        .collect();
    names.sort();
    let corrections = dir.join("corrections");
    if !corrections.exists()
        && let Some((_, old)) = names
            .iter()
            .find(|(name, _)| name.starts_with(".totsugo-old-corrections-"))
    {
        let _ = std::fs::rename(old, &corrections);
    }
    let mut n = 0;
    for (_, path) in names {
        if !path.exists() {
            continue;
        }
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        n += gone.is_ok() as usize;
    }
    n
}

/// An existing folder that group or others can write (or read) is tightened to 0700 when this
/// user owns it; a shared folder (sticky bit, like /tmp) or another user's is refused (exit 2):
/// outputs hold 特定個人情報, and in such a folder another user could replace them. Returns the
/// log line saying what was done.
#[cfg(unix)]
pub fn secure_dir(dir: &Path) -> Result<Option<String>, Error> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let refuse = |message: String| Error::Unsupported {
        path: dir.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(None);
    }
    let writable_by_others = mode & 0o022 != 0;
    if mode & 0o1000 != 0 && writable_by_others {
        return Err(refuse(format!(
            "共有フォルダ（権限 {mode:04o}、sticky）には出力できません。個人番号を含むため、自分専用のフォルダ（例: このフォルダの下の新しいフォルダ）を指定してください"
        )));
    }
    // The process's own user: the owner of /proc/self (Linux); elsewhere the folder's owner is
    // taken on trust and chmod decides.
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if writable_by_others && me.is_some_and(|uid| uid != meta.uid()) {
        return Err(refuse(format!(
            "他の利用者（uid {}）のフォルダで、グループや他人も書き込めます（権限 {mode:04o}）。自分専用のフォルダを指定してください",
            meta.uid()
        )));
    }
    match std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
        Ok(()) => Ok(Some(format!(
            "{}: グループや他人に開いているフォルダでした（権限 {mode:04o}）。個人番号を含むため 0700 に変更しました",
            dir.display()
        ))),
        // Others may only look in (files are 0600 anyway): say so and go on.
        Err(e) if !writable_by_others => Ok(Some(format!(
            "{}: グループや他人がファイル名を見られるフォルダです（権限 {mode:04o}）。0700 に変更できませんでした: {e}",
            dir.display()
        ))),
        Err(e) => Err(refuse(format!(
            "グループや他人も書き込めるフォルダです（権限 {mode:04o}）が、0700 に変更できません: {e}"
        ))),
    }
}

#[cfg(not(unix))]
pub fn secure_dir(_: &Path) -> Result<Option<String>, Error> {
    Ok(None)
}

/// A temporary folder in `dir`, created 0700 (not 0777 minus the umask, as `tempfile` would):
/// `corrections/` is built in it and swapped in whole.
pub fn private_tempdir(prefix: &str, dir: &Path) -> std::io::Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let made = b.tempdir_in(dir)?;
    make_private(made.path())?;
    Ok(made)
}

/// Makes a folder private (0700) whatever the umask: for folders made by other means
/// (`tempfile`'s, which follow the umask).
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
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
    })?;
    // The mode above is masked by the umask; set it outright (only the last folder is ours to
    // set: parents that existed keep theirs).
    make_private(dir).map_err(|source| Error::Write {
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
        assert!(
            !dir.path().join(LOCK_FILE).exists(),
            "a clean release leaves no lock file"
        );
    }
}
