//! Atomic, private output files.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::Error;

/// A file being written under a temporary name in its final folder.
pub struct AtomicFile {
    tmp: BufWriter<NamedTempFile>,
    target: PathBuf,
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.display().to_string(),
        source,
    }
}

impl AtomicFile {
    /// Starts `target`; the temporary file lives in the same folder (so the rename is atomic)
    /// and is created with mode 0600.
    pub fn create(target: &Path) -> Result<AtomicFile, Error> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".totsugo-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(write_err(target))?;
        set_private(tmp.as_file()).map_err(write_err(target))?;
        Ok(AtomicFile {
            tmp: BufWriter::with_capacity(1 << 16, tmp),
            target: target.to_path_buf(),
        })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, fsyncs and renames to the final name (replacing the previous run's file).
    pub fn commit(self) -> Result<(), Error> {
        let target = self.target;
        let tmp = self.tmp.into_inner().map_err(|e| Error::Write {
            path: target.display().to_string(),
            source: e.into_error(),
        })?;
        tmp.as_file().sync_all().map_err(write_err(&target))?;
        tmp.persist(&target)
            .map_err(|e| write_err(&target)(e.error))?;
        sync_dir(&target);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}

#[cfg(unix)]
fn set_private(f: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_: &File) -> std::io::Result<()> {
    Ok(())
}

/// Makes a rename durable: fsync the folder (best effort; not every filesystem allows it).
pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_under_final_name_until_commit_and_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("findings.csv");
        std::fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        // An abandoned write leaves the previous file as it was.
        drop(f);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["findings.csv"]);
    }
}
