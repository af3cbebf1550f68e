//! Puts a file together from pieces (bytes, and the contents of other files), through the
//! page cache or, for a file too large for it, past it (`O_DIRECT`).
//!
//! `users.json` is written in sections, each to a temp file of its own, and only its last
//! user says where the later sections start, so they are copied into the file at the end.
//! Through the page cache every byte is then dirty twice (in its temp file, then in the
//! file). While that fits under the kernel's dirty limit the copy runs at memory speed and
//! the disk catches up behind it; past the limit the kernel throttles the copy to its
//! write-back pace (about 400 MB/s on the bench machine, whose disk takes direct writes at
//! about 1.5 GB/s), and the final sync of a file of a gigabyte or so already waits on that
//! pace once the disk's first few hundred megabytes are in. So a file of [`DIRECT_FROM`] or
//! more, or whose bytes, twice, would pass the limit, is written in large aligned blocks by
//! two threads straight to the disk, read from the temp files' cached pages; those pages
//! are dropped unwritten when the temp files are removed.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A part of the file: bytes, or the first `len` bytes of a file.
pub(super) enum Piece<'a> {
    /// These bytes.
    Bytes(&'a [u8]),
    /// The first `len` bytes of this file.
    File(&'a File, u64),
}

impl Piece<'_> {
    fn len(&self) -> u64 {
        match self {
            Piece::Bytes(bytes) => bytes.len() as u64,
            Piece::File(_, len) => *len,
        }
    }
}

/// The alignment direct I/O is done at: of the file offsets, the lengths and the memory.
/// A file system that asks more than this is written through the page cache.
const ALIGN: usize = 4096;

/// The size from which a file is written direct even under the dirty limit: on the bench
/// machine a file of 0.67 GB was written 6% sooner through the page cache, and one of 1.0 GB
/// 24% sooner direct, its write-back having slowed to about 400 MB/s (BENCHMARKS.md).
const DIRECT_FROM: u64 = 768 << 20;

/// Bytes per write: large enough that a write's cost is the disk's, small enough that two
/// buffers stay a small part of the run's memory.
const BLOCK: usize = 8 << 20;

/// Threads writing blocks at once: two requests in flight keep the disk busy while the
/// next block is read from the cache.
const WRITERS: usize = 2;

/// Creates the file at `path` (which must not exist) holding `pieces` one after the other.
/// Returns the file, for the caller to sync.
pub(super) fn assemble(path: &Path, pieces: &[Piece<'_>]) -> io::Result<File> {
    let total: u64 = pieces.iter().map(Piece::len).sum();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    if (total >= DIRECT_FROM || past_dirty_limit(total)) && go_direct(&file) {
        match write_direct(&file, pieces, total) {
            // A file system that said it takes direct writes at this alignment and then
            // refused one: through the page cache after all.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                let flags = rustix::fs::fcntl_getfl(&file)?;
                rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::DIRECT)?;
                file.set_len(0)?;
                copy_through_cache(&file, pieces)?;
            }
            written => written?,
        }
    } else {
        copy_through_cache(&file, pieces)?;
    }
    Ok(file)
}

/// Writes `pieces`, `total` bytes, into `file`, which is open for direct I/O at [`ALIGN`]:
/// [`BLOCK`]s at a time, by [`WRITERS`] threads.
fn write_direct(file: &File, pieces: &[Piece<'_>], total: u64) -> io::Result<()> {
    // Allocated in advance, blocks are written in any order without extending the file.
    // Where the file system cannot, they extend it in turn.
    let _ = rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), 0, total);
    let next = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| scope.spawn(|| write_blocks(file, pieces, total, &next)))
            .collect();
        writers
            .into_iter()
            .try_for_each(|w| w.join().expect("a block writer does not panic"))
    })?;
    // The last block was written whole, its tail padded to the alignment; the file ends
    // where its pieces do.
    file.set_len(total)
}

/// Whether `total` bytes, dirty twice, would pass the kernel's dirty limit: `vm.dirty_bytes`,
/// or `vm.dirty_ratio` percent of the memory available. Where that cannot be read, they
/// are taken not to.
fn past_dirty_limit(total: u64) -> bool {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let number = |text: Option<String>| text?.trim().parse::<u64>().ok();
    let limit = match number(read("/proc/sys/vm/dirty_bytes")) {
        Some(bytes) if bytes > 0 => Some(bytes),
        _ => number(read("/proc/sys/vm/dirty_ratio")).and_then(|ratio| {
            let meminfo = read("/proc/meminfo")?;
            let available = meminfo.lines().find_map(|line| {
                let kib = line
                    .strip_prefix("MemAvailable:")?
                    .trim()
                    .strip_suffix("kB")?;
                kib.trim().parse::<u64>().ok()
            })?;
            Some(available * 1024 / 100 * ratio)
        }),
    };
    limit.is_some_and(|limit| total.saturating_mul(2) > limit)
}

/// Writes `pieces` into `file` in turn through the page cache ([`copy_pieces`]) while a
/// thread syncs the file over and over, so that the disk writes what is copied while the
/// copy goes on rather than all of it in the final sync.
fn copy_through_cache(file: &File, pieces: &[Piece<'_>]) -> io::Result<()> {
    let copied = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writeback = scope.spawn(|| {
            while !copied.load(Ordering::Acquire) {
                file.sync_data()?;
            }
            io::Result::Ok(())
        });
        let copy = copy_pieces(file, pieces);
        copied.store(true, Ordering::Release);
        let written = writeback
            .join()
            .expect("the writeback thread does not panic");
        copy.and(written)
    })
}

/// Writes `pieces` to `out` in turn, from its current position: the files' bytes from their
/// start, copied by the kernel (`copy_file_range` into a file, `splice` into a pipe).
pub(super) fn copy_pieces(mut out: &File, pieces: &[Piece<'_>]) -> io::Result<()> {
    pieces.iter().try_for_each(|piece| match piece {
        Piece::Bytes(bytes) => out.write_all(bytes),
        &Piece::File(mut part, len) => {
            part.seek(SeekFrom::Start(0))?;
            let copied = io::copy(&mut Read::take(part, len), &mut out)?;
            if copied == len {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "a temp file is shorter than written",
                ))
            }
        }
    })
}

/// Switches `file` to direct I/O if its file system takes it at [`ALIGN`]; whether it did.
fn go_direct(file: &File) -> bool {
    use rustix::fs::{AtFlags, OFlags, StatxFlags};
    let Ok(stat) = rustix::fs::statx(file, "", AtFlags::EMPTY_PATH, StatxFlags::DIOALIGN) else {
        return false;
    };
    let fits = |align: u32| ALIGN.is_multiple_of(align as usize);
    if stat.stx_mask & StatxFlags::DIOALIGN.bits() == 0
        || !fits(stat.stx_dio_mem_align)
        || !fits(stat.stx_dio_offset_align)
    {
        return false;
    }
    let Ok(flags) = rustix::fs::fcntl_getfl(file) else {
        return false;
    };
    rustix::fs::fcntl_setfl(file, flags | OFlags::DIRECT).is_ok()
}

/// Writes blocks of the file, taking the next one from `next` until none is left.
fn write_blocks(file: &File, pieces: &[Piece<'_>], total: u64, next: &AtomicU64) -> io::Result<()> {
    let mut memory = vec![0u8; BLOCK + ALIGN];
    let start = memory.as_ptr().align_offset(ALIGN);
    let buffer = &mut memory[start..start + BLOCK];
    loop {
        let offset = next.fetch_add(BLOCK as u64, Ordering::Relaxed);
        if offset >= total {
            return Ok(());
        }
        let len = (total - offset).min(BLOCK as u64) as usize;
        fill(&mut buffer[..len], pieces, offset)?;
        let padded = len.next_multiple_of(ALIGN);
        buffer[len..padded].fill(0);
        file.write_all_at(&buffer[..padded], offset)?;
    }
}

/// Fills `buffer` with the file's bytes from `offset` on.
fn fill(buffer: &mut [u8], pieces: &[Piece<'_>], offset: u64) -> io::Result<()> {
    let mut at = 0u64;
    let mut filled = 0usize;
    for piece in pieces {
        let len = piece.len();
        let wanted = offset + filled as u64;
        if filled == buffer.len() {
            break;
        }
        if wanted >= at + len {
            at += len;
            continue;
        }
        let from = wanted - at;
        let n = ((len - from) as usize).min(buffer.len() - filled);
        let out = &mut buffer[filled..filled + n];
        match piece {
            Piece::Bytes(bytes) => out.copy_from_slice(&bytes[from as usize..from as usize + n]),
            Piece::File(file, _) => file.read_exact_at(out, from)?,
        }
        filled += n;
        at += len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files of lengths around the alignment and the block, put together with bytes between
    /// them by `write` into a file at `out`, come back as the same bytes in the same order.
    fn check(name: &str, write: impl FnOnce(&File, &[Piece<'_>], u64) -> io::Result<()>) {
        let dir = std::env::temp_dir().join(format!("seed-assemble-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lengths = [
            0,
            1,
            ALIGN - 1,
            ALIGN + 1,
            BLOCK - 3,
            BLOCK + ALIGN + 7,
            12_345,
        ];
        let files: Vec<(File, Vec<u8>)> = lengths
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let bytes: Vec<u8> = (0..len).map(|j| (j * 31 + i * 7) as u8).collect();
                let path = dir.join(format!("part-{i}"));
                // Written through a handle left at its end, as a section's temp file is.
                let mut file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .unwrap();
                file.write_all(&bytes).unwrap();
                (file, bytes)
            })
            .collect();
        let mut pieces = vec![Piece::Bytes(b"{")];
        let mut expected = b"{".to_vec();
        for (file, bytes) in &files {
            pieces.push(Piece::File(file, bytes.len() as u64));
            pieces.push(Piece::Bytes(b",\n"));
            expected.extend_from_slice(bytes);
            expected.extend_from_slice(b",\n");
        }
        let total = expected.len() as u64;
        let path = dir.join("out");
        let out = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        let written = write(&out, &pieces, total).map(|()| std::fs::read(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
        let written = written.unwrap();
        assert_eq!(written.len(), expected.len());
        assert!(written == expected, "the bytes differ");
    }

    #[test]
    fn through_the_page_cache_the_pieces_come_out_in_order() {
        check("cache", |file, pieces, _| copy_through_cache(file, pieces));
    }

    /// Direct where the temp directory's file system allows it; through the page cache, as
    /// a run would fall back to, where not: the blocks are the same either way.
    #[test]
    fn in_blocks_the_pieces_come_out_in_order() {
        check("blocks", |file, pieces, total| {
            go_direct(file);
            write_direct(file, pieces, total)
        });
    }

    /// Nothing to write makes an empty file, either way.
    #[test]
    fn no_pieces_make_an_empty_file() {
        for (i, direct) in [false, true].into_iter().enumerate() {
            let dir = std::env::temp_dir()
                .join(format!("seed-assemble-empty-{i}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("out");
            let file = File::create_new(&path).unwrap();
            let result = if direct {
                write_direct(&file, &[Piece::Bytes(b"")], 0)
            } else {
                copy_through_cache(&file, &[Piece::Bytes(b"")])
            };
            let len = std::fs::metadata(&path).unwrap().len();
            std::fs::remove_dir_all(&dir).unwrap();
            result.unwrap();
            assert_eq!(len, 0);
        }
    }

    /// A limit no file reaches, and one every file passes, where `/proc` says.
    #[test]
    fn the_dirty_limit_is_read_from_the_kernel() {
        if std::fs::read_to_string("/proc/sys/vm/dirty_ratio").is_err() {
            return;
        }
        assert!(!past_dirty_limit(1 << 20));
        assert!(past_dirty_limit(u64::MAX / 4));
    }
}
