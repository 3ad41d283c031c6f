//! UTF-8 at the edges of byte chunks: output arrives in pieces that may split a character.

/// How many bytes at the end of `bytes` begin a UTF-8 character that the chunk does not finish
/// (0 to 3). Bytes that cannot start a character end the search with 0.
pub(crate) fn incomplete_suffix_len(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let byte = bytes[bytes.len() - back];
        let needed = match byte {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            0x80..=0xbf => continue,
            _ => return 0,
        };
        return if needed > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::incomplete_suffix_len;

    #[test]
    fn counts_the_bytes_of_an_unfinished_character() {
        assert_eq!(incomplete_suffix_len(b""), 0);
        assert_eq!(incomplete_suffix_len(b"abc"), 0);
        assert_eq!(incomplete_suffix_len("é".as_bytes()), 0);
        assert_eq!(incomplete_suffix_len(&"é".as_bytes()[..1]), 1);
        assert_eq!(incomplete_suffix_len(&"😀".as_bytes()[..3]), 3);
        assert_eq!(incomplete_suffix_len(&"😀".as_bytes()[..2]), 2);
        assert_eq!(incomplete_suffix_len("😀".as_bytes()), 0);
        assert_eq!(incomplete_suffix_len(&[0x80, 0x80, 0x80]), 0);
    }
}
