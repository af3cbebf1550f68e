//! serde_json's pretty format, started at a given depth so records can be encoded on their own.

use std::io::{self, Write};

use serde_json::ser::Formatter;

/// serde_json's `PrettyFormatter` with a two-space indent, starting `depth` levels deep.
pub(super) struct NestedPretty {
    depth: usize,
    has_value: bool,
}

impl NestedPretty {
    pub(super) fn at_depth(depth: usize) -> Self {
        NestedPretty {
            depth,
            has_value: false,
        }
    }
}

fn indent<W: ?Sized + Write>(writer: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8] = b"                                ";
    let mut n = depth * 2;
    while n > 0 {
        let step = n.min(SPACES.len());
        writer.write_all(&SPACES[..step])?;
        n -= step;
    }
    Ok(())
}

impl Formatter for NestedPretty {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            indent(writer, self.depth)?;
        }
        writer.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        indent(writer, self.depth)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            indent(writer, self.depth)?;
        }
        writer.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        indent(writer, self.depth)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Appends `value` pretty-printed as if it stood `depth` levels deep in a document.
pub(super) fn write_nested<T: serde::Serialize>(out: &mut Vec<u8>, depth: usize, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, NestedPretty::at_depth(depth));
    value
        .serialize(&mut ser)
        .expect("serialising a model into memory cannot fail");
}
