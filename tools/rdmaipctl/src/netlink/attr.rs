// SPDX-License-Identifier: GPL-2.0

//! Netlink attributes (`struct nlattr`): writing them into a message and
//! reading them back out of one, never trusting the lengths it carries.

use std::fmt;
use std::mem::size_of;

use super::c_u16;

/// Size of `struct nlattr` (u16 length, u16 type).
pub const NLA_HDRLEN: usize = size_of::<libc::nlattr>();
/// Flags the kernel may set in an attribute's type field.
const NLA_F_NESTED: u16 = c_u16(libc::NLA_F_NESTED);
const NLA_F_NET_BYTEORDER: u16 = c_u16(libc::NLA_F_NET_BYTEORDER);
const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
/// `NLA_ALIGNTO`, which is also `NLMSG_ALIGNTO`.
const ALIGNTO: usize = libc::NLA_ALIGNTO as usize;

/// Netlink pads every attribute and header to 4 bytes.
pub const fn align4(len: usize) -> usize {
    (len + ALIGNTO - 1) & !(ALIGNTO - 1)
}

/// A message from the kernel that does not have the shape it should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl DecodeError {
    pub fn new(what: impl Into<String>) -> Self {
        DecodeError(what.into())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Appends attributes to a message buffer.
///
/// Every attribute starts 4-byte aligned; the buffer must be aligned when
/// the writer is created (message and genetlink headers are).
pub struct AttrWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> AttrWriter<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        debug_assert_eq!(buf.len() % 4, 0);
        AttrWriter { buf }
    }

    /// Appends one attribute; returns its offset in the buffer.
    ///
    /// # Panics
    /// If `payload` does not fit in an attribute (64 KiB): every caller
    /// writes short, bounded values.
    pub fn put(&mut self, kind: u16, payload: &[u8]) -> usize {
        let offset = self.buf.len();
        let len = u16::try_from(NLA_HDRLEN + payload.len()).expect("attribute larger than 64 KiB");
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(align4(self.buf.len()), 0);
        offset
    }

    pub fn put_u8(&mut self, kind: u16, value: u8) -> usize {
        self.put(kind, &[value])
    }

    pub fn put_u16(&mut self, kind: u16, value: u16) -> usize {
        self.put(kind, &value.to_ne_bytes())
    }

    pub fn put_u32(&mut self, kind: u16, value: u32) -> usize {
        self.put(kind, &value.to_ne_bytes())
    }

    /// A NUL-terminated string, as `NLA_NUL_STRING` policies require.
    pub fn put_str(&mut self, kind: u16, value: &str) -> usize {
        let mut payload = Vec::with_capacity(value.len() + 1);
        payload.extend_from_slice(value.as_bytes());
        payload.push(0);
        self.put(kind, &payload)
    }
}

/// One attribute read from a message; `kind` has the nested and
/// byte-order flags masked off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    fn fixed<const N: usize>(&self, what: &str) -> Result<[u8; N], DecodeError> {
        self.payload.try_into().map_err(|_| {
            DecodeError::new(format!(
                "attribute {} should hold {what} ({N} bytes) but has {} bytes",
                self.kind,
                self.payload.len()
            ))
        })
    }

    pub fn u8(&self) -> Result<u8, DecodeError> {
        Ok(self.fixed::<1>("a u8")?[0])
    }

    pub fn u16(&self) -> Result<u16, DecodeError> {
        Ok(u16::from_ne_bytes(self.fixed("a u16")?))
    }

    pub fn u32(&self) -> Result<u32, DecodeError> {
        Ok(u32::from_ne_bytes(self.fixed("a u32")?))
    }

    /// A `u32` in network byte order (IPv4 addresses).
    pub fn u32_be(&self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.fixed("a big-endian u32")?))
    }

    pub fn u64(&self) -> Result<u64, DecodeError> {
        Ok(u64::from_ne_bytes(self.fixed("a u64")?))
    }

    /// The variable-width `uint` type: the kernel sends 4 bytes when the
    /// value fits, 8 otherwise.
    pub fn uint(&self) -> Result<u64, DecodeError> {
        match self.payload.len() {
            4 => self.u32().map(u64::from),
            8 => self.u64(),
            n => Err(DecodeError::new(format!(
                "attribute {} should hold a uint (4 or 8 bytes) but has {n} bytes",
                self.kind
            ))),
        }
    }

    /// A string, with or without its terminating NUL.
    pub fn string(&self) -> Result<String, DecodeError> {
        let bytes = match self.payload.iter().position(|&b| b == 0) {
            Some(nul) => &self.payload[..nul],
            None => self.payload,
        };
        String::from_utf8(bytes.to_vec())
            .map_err(|_| DecodeError::new(format!("attribute {} is not valid UTF-8", self.kind)))
    }

    /// The attributes nested inside this one.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.payload)
    }
}

/// Iterates over a run of attributes. A malformed attribute ends the
/// iteration with one error.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Attrs { rest: data }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = std::mem::take(&mut self.rest);
        if rest.len() < NLA_HDRLEN {
            return Some(Err(DecodeError::new(format!(
                "{} stray bytes after the last attribute",
                rest.len()
            ))));
        }
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > rest.len() {
            return Some(Err(DecodeError::new(format!(
                "attribute {kind} claims {len} bytes, {} available",
                rest.len()
            ))));
        }
        // The last attribute may lack its padding.
        self.rest = rest.get(align4(len)..).unwrap_or(&[]);
        Some(Ok(Attr {
            kind,
            payload: &rest[NLA_HDRLEN..len],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(data: &[u8]) -> Result<Vec<Attr<'_>>, DecodeError> {
        Attrs::new(data).collect()
    }

    /// An attribute header in host byte order, followed by `payload`.
    fn raw(len: u16, kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = len.to_ne_bytes().to_vec();
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn scalars_round_trip() {
        let mut buf = Vec::new();
        let mut w = AttrWriter::new(&mut buf);
        assert_eq!(w.put_u8(1, 7), 0);
        assert_eq!(w.put_u16(2, 0x1234), 8);
        assert_eq!(w.put_u32(3, 0xdead_beef), 16);
        assert_eq!(w.put_str(4, "g0"), 24);
        assert_eq!(buf.len(), 32);
        let attrs = collect(&buf).unwrap();
        assert_eq!(attrs.len(), 4);
        assert_eq!((attrs[0].kind, attrs[0].u8().unwrap()), (1, 7));
        assert_eq!(attrs[1].u16().unwrap(), 0x1234);
        assert_eq!(attrs[2].u32().unwrap(), 0xdead_beef);
        assert_eq!(attrs[3].string().unwrap(), "g0");
        assert_eq!(attrs[3].payload, b"g0\0");
    }

    #[test]
    fn strings_are_nul_terminated_and_padded() {
        let mut buf = Vec::new();
        AttrWriter::new(&mut buf).put_str(9, "abc");
        // header 4 + "abc\0" 4 = 8, already aligned
        assert_eq!(buf, raw(8, 9, b"abc\0"));
        let mut buf = Vec::new();
        AttrWriter::new(&mut buf).put_str(9, "abcd");
        assert_eq!(buf.len(), 12);
        assert_eq!(u16::from_ne_bytes([buf[0], buf[1]]), 9);
    }

    #[test]
    fn uint_accepts_four_or_eight_bytes() {
        let four = Attr {
            kind: 1,
            payload: &5u32.to_ne_bytes(),
        };
        let eight = Attr {
            kind: 1,
            payload: &(u64::MAX - 1).to_ne_bytes(),
        };
        let two = Attr {
            kind: 1,
            payload: &[0, 0],
        };
        assert_eq!(four.uint().unwrap(), 5);
        assert_eq!(eight.uint().unwrap(), u64::MAX - 1);
        assert!(two.uint().unwrap_err().0.contains("uint"));
    }

    #[test]
    fn big_endian_u32() {
        let a = Attr {
            kind: 1,
            payload: &[192, 0, 2, 1],
        };
        assert_eq!(a.u32_be().unwrap(), 0xc000_0201);
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let a = Attr {
            kind: 3,
            payload: &[1, 2, 3],
        };
        assert!(a.u8().is_err());
        assert!(a.u16().is_err());
        let e = a.u32().unwrap_err();
        assert_eq!(
            e.to_string(),
            "attribute 3 should hold a u32 (4 bytes) but has 3 bytes"
        );
        assert!(a.u64().is_err());
    }

    #[test]
    fn string_without_nul_and_invalid_utf8() {
        let a = Attr {
            kind: 1,
            payload: b"rxe0/1",
        };
        assert_eq!(a.string().unwrap(), "rxe0/1");
        let a = Attr {
            kind: 1,
            payload: &[0xff, 0xfe, 0],
        };
        assert!(a.string().unwrap_err().0.contains("UTF-8"));
    }

    #[test]
    fn flags_are_masked_from_the_type() {
        let buf = raw(4, 5 | NLA_F_NESTED | NLA_F_NET_BYTEORDER, &[]);
        let attrs = collect(&buf).unwrap();
        assert_eq!(attrs[0].kind, 5);
        assert!(attrs[0].payload.is_empty());
    }

    #[test]
    fn nested_attributes() {
        let mut inner = Vec::new();
        AttrWriter::new(&mut inner).put_u32(2, 42);
        let mut buf = Vec::new();
        AttrWriter::new(&mut buf).put(1 | NLA_F_NESTED, &inner);
        let outer = collect(&buf).unwrap();
        assert_eq!(outer[0].kind, 1);
        let inner: Vec<_> = outer[0].nested().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner[0].u32().unwrap(), 42);
    }

    #[test]
    fn last_attribute_may_lack_padding() {
        let buf = raw(5, 1, &[9]);
        let attrs = collect(&buf).unwrap();
        assert_eq!(attrs[0].payload, [9]);
    }

    #[test]
    fn truncated_and_bogus_lengths_are_errors() {
        assert!(collect(&[1, 0]).unwrap_err().0.contains("stray"));
        // claims 8 bytes, has 6
        assert!(collect(&raw(8, 1, &[0, 0]))
            .unwrap_err()
            .0
            .contains("claims 8"));
        // length smaller than the header
        assert!(collect(&raw(2, 1, &[])).is_err());
        // an error ends the iteration
        let mut bad = raw(2, 1, &[]);
        bad.extend(raw(4, 1, &[]));
        let mut it = Attrs::new(&bad);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn empty_input_has_no_attributes() {
        assert!(collect(&[]).unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            for attr in Attrs::new(&data).flatten() {
                let _ = (attr.u8(), attr.u16(), attr.u32(), attr.uint(), attr.string());
                for inner in attr.nested().flatten() {
                    let _ = inner.string();
                }
            }
        }

        #[test]
        fn written_attributes_read_back(values in proptest::collection::vec(
            (1u16..0x3fff, proptest::collection::vec(any::<u8>(), 0..40)), 0..10)
        ) {
            let mut buf = Vec::new();
            let mut w = AttrWriter::new(&mut buf);
            for (kind, payload) in &values {
                w.put(*kind, payload);
            }
            let read = collect(&buf).unwrap();
            prop_assert_eq!(read.len(), values.len());
            for (attr, (kind, payload)) in read.iter().zip(&values) {
                prop_assert_eq!(attr.kind, *kind);
                prop_assert_eq!(attr.payload, &payload[..]);
            }
        }
    }
}
