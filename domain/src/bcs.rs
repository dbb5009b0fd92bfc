/// A minimal writer of BCS (Binary Canonical Serialization), the encoding Move's
/// `std::bcs::to_bytes` produces. Only the shapes that ComputeStream signs are needed:
/// `u8`, `u64` (little endian), `address` (32 raw bytes), `vector<u8>` (ULEB128 length, then
/// the bytes) and `Option<T>` (`0` or `1` then `T`).
///
/// Writing it by hand keeps the signed layouts explicit in one place; the tests check it
/// against the reference `bcs` crate.
#[derive(Debug, Default, Clone)]
pub struct BcsWriter {
    buf: Vec<u8>,
}

impl BcsWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn address(&mut self, a: &crate::AccountAddress) -> &mut Self {
        self.buf.extend_from_slice(a.as_bytes());
        self
    }

    /// A fixed-size array is written as raw bytes only when Move models it as such; Move has
    /// no fixed arrays, so hashes travel as `vector<u8>`. Use [`BcsWriter::bytes`].
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.uleb128(v.len() as u64);
        self.buf.extend_from_slice(v);
        self
    }

    pub fn option_none(&mut self) -> &mut Self {
        self.u8(0)
    }

    pub fn option_some(&mut self) -> &mut Self {
        self.u8(1)
    }

    fn uleb128(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uleb128_lengths() {
        assert_eq!(BcsWriter::new().bytes(&[]).finish(), vec![0]);
        let v = vec![7u8; 200];
        let out = BcsWriter::new().bytes(&v).finish();
        assert_eq!(&out[..2], &[0xc8, 0x01]);
        assert_eq!(out.len(), 202);
    }

    #[test]
    fn u64_is_little_endian() {
        assert_eq!(
            BcsWriter::new().u64(1).finish(),
            vec![1, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}
