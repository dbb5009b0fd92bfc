//! Rows in PostgreSQL's binary `COPY` format (`COPY ... FROM STDIN (FORMAT binary)`): the
//! bulk path for the time series. Binary spares the server the text parsing of integers
//! and, above all, timestamps, which is most of what a text `COPY` costs it.
//!
//! Layout (PostgreSQL documentation, "COPY", binary format): the 11-byte signature
//! `PGCOPY\n\xff\r\n\0`, a 32-bit flags field and a 32-bit header-extension length (both
//! zero); then per row a 16-bit field count and, per field, a 32-bit byte length (-1 for
//! NULL) followed by the value in the type's binary send format; then a 16-bit -1 trailer.
//! All integers are big-endian.

/// Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// A binary `COPY` stream being written.
#[derive(Debug)]
pub struct BinaryCopy {
    buf: Vec<u8>,
}

impl BinaryCopy {
    /// The end of a stream.
    pub const TRAILER: [u8; 2] = (-1i16).to_be_bytes();

    /// A stream with room for about `rows` rows of `row_bytes` each.
    pub fn with_capacity(rows: usize, row_bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(19 + rows * row_bytes + 2);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        BinaryCopy { buf }
    }

    /// More rows of a stream already started (no header): sent in chunks so the server
    /// inserts one chunk while the next is encoded.
    pub fn continuation(rows: usize, row_bytes: usize) -> Self {
        BinaryCopy {
            buf: Vec::with_capacity(rows * row_bytes),
        }
    }

    /// Starts a row of `fields` values (then write exactly that many).
    pub fn row(&mut self, fields: i16) -> &mut Self {
        self.buf.extend_from_slice(&fields.to_be_bytes());
        self
    }

    /// A `BIGINT`.
    pub fn int8(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A `SMALLINT`.
    pub fn int2(&mut self, v: i16) -> &mut Self {
        self.buf.extend_from_slice(&2i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A `TEXT` (UTF-8, as the database encoding is).
    pub fn text(&mut self, v: &str) -> &mut Self {
        // Values here are addresses and ids, far below 2 GiB.
        let len = i32::try_from(v.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(v.as_bytes());
        self
    }

    /// A `NUMERIC` holding the integer `v` (amounts): base-10,000 digits, most significant
    /// first, after `ndigits`, `weight` (the first digit's power of 10,000), `sign` and
    /// `dscale` (0: no fraction).
    pub fn numeric_u64(&mut self, v: u64) -> &mut Self {
        let mut digits = [0i16; 5];
        let mut n = 0;
        let mut rest = v;
        while rest > 0 {
            // Below 10,000: fits an i16.
            digits[n] = (rest % 10_000) as i16;
            rest /= 10_000;
            n += 1;
        }
        let weight = n.saturating_sub(1) as i16;
        // Trailing zero digits are implied by the weight, as the server writes them.
        let mut low = 0;
        while low < n && digits[low] == 0 {
            low += 1;
        }
        let ndigits = n - low;
        let len = 8 + 2 * ndigits as i32;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(&(ndigits as i16).to_be_bytes());
        self.buf.extend_from_slice(&weight.to_be_bytes());
        self.buf.extend_from_slice(&0u16.to_be_bytes());
        self.buf.extend_from_slice(&0i16.to_be_bytes());
        for d in digits[low..n].iter().rev() {
            self.buf.extend_from_slice(&d.to_be_bytes());
        }
        self
    }

    /// A `TEXT` of `0x` and the lowercase hex digits of `bytes` (how addresses are stored),
    /// written straight into the stream.
    pub fn prefixed_hex(&mut self, bytes: &[u8]) -> &mut Self {
        let len = i32::try_from(2 + 2 * bytes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        computestream_domain::push_prefixed_hex(&mut self.buf, bytes);
        self
    }

    /// A `TIMESTAMPTZ` from milliseconds since the Unix epoch.
    pub fn timestamptz_ms(&mut self, unix_ms: i64) -> &mut Self {
        let micros = unix_ms
            .saturating_mul(1_000)
            .saturating_sub(PG_EPOCH_OFFSET_MICROS);
        self.int8(micros)
    }

    /// A NULL.
    pub fn null(&mut self) -> &mut Self {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    /// An optional value: `write` it, or NULL.
    pub fn opt<T>(&mut self, v: Option<T>, write: impl FnOnce(&mut Self, T)) -> &mut Self {
        match v {
            Some(v) => write(self, v),
            None => {
                self.null();
            }
        }
        self
    }

    /// The bytes so far, without the trailer (send [`BinaryCopy::TRAILER`] after the last
    /// chunk).
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The finished stream, trailer included.
    #[cfg(test)]
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&Self::TRAILER);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_row_and_trailer_are_the_documented_bytes() {
        let mut c = BinaryCopy::with_capacity(1, 32);
        c.row(4).int8(7).int2(-2).null().prefixed_hex(&[0xab, 0x01]);
        let bytes = c.finish();
        let mut want = b"PGCOPY\n\xff\r\n\0".to_vec();
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[0, 4]);
        want.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        want.extend_from_slice(&[0, 0, 0, 2, 0xff, 0xfe]);
        want.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        want.extend_from_slice(&[0, 0, 0, 6]);
        want.extend_from_slice(b"0xab01");
        want.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(bytes, want);
    }

    fn numeric(v: u64) -> Vec<u8> {
        let mut c = BinaryCopy::continuation(1, 16);
        c.numeric_u64(v);
        c.into_bytes()
    }

    #[test]
    fn numerics_are_base_10000_digits_without_trailing_zeros() {
        // 0: no digits.
        assert_eq!(numeric(0), [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        // 12345678 = 1234 * 10^4 + 5678: two digits, weight 1.
        assert_eq!(
            numeric(12_345_678),
            [0, 0, 0, 12, 0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xd2, 0x16, 0x2e]
        );
        // 10^8 = 1 * 10000^2: one digit, weight 2.
        assert_eq!(
            numeric(100_000_000),
            [0, 0, 0, 10, 0, 1, 0, 2, 0, 0, 0, 0, 0, 1]
        );
        // u64::MAX = 1844 6744 0737 0955 1615: five digits, weight 4.
        assert_eq!(
            numeric(u64::MAX)[4..],
            [0, 5, 0, 4, 0, 0, 0, 0, 0x07, 0x34, 0x1a, 0x58, 0x02, 0xe1, 0x03, 0xbb, 0x06, 0x4f]
        );
    }

    #[test]
    fn timestamps_count_microseconds_from_2000() {
        let mut c = BinaryCopy::with_capacity(1, 16);
        c.timestamptz_ms(946_684_800_000 + 1_500);
        let bytes = c.finish();
        assert_eq!(&bytes[19..23], &8i32.to_be_bytes());
        assert_eq!(&bytes[23..31], &1_500_000i64.to_be_bytes());
        let mut before = BinaryCopy::with_capacity(1, 16);
        before.timestamptz_ms(0);
        assert_eq!(
            &before.finish()[23..31],
            &(-946_684_800_000_000i64).to_be_bytes()
        );
    }

    #[test]
    fn chunks_concatenate_to_one_stream() {
        let mut one = BinaryCopy::with_capacity(2, 16);
        one.row(1).int8(1).row(1).int8(2);
        let whole = one.finish();
        let mut first = BinaryCopy::with_capacity(1, 16);
        first.row(1).int8(1);
        let mut second = BinaryCopy::continuation(1, 16);
        second.row(1).int8(2);
        let mut joined = first.into_bytes();
        joined.extend(second.into_bytes());
        joined.extend_from_slice(&BinaryCopy::TRAILER);
        assert_eq!(joined, whole);
    }
}
