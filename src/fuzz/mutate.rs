//! The fuzzer's randomness and mutations: a seeded PRNG, and stacked byte-level mutations (bit
//! flips, byte insert, delete and replace, copies within the input, splices with another corpus
//! entry, the target's dictionary tokens and interesting numbers).

/// A fast seeded PRNG (wyrand): not cryptographic, but uniform enough and reproducible from its
/// seed, which a failing run prints.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let product = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((product >> 64) ^ product) as u64
    }

    /// A number below `bound` (which must not be 0).
    pub(super) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// True with probability 1 in `n`.
    pub(super) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that often matter to parsers: quotes, brackets, separators, escapes, line ends, and
/// the edges of ASCII and UTF-8.
const INTERESTING_BYTES: &[u8] =
    b"\0\x07\x08\t\n\r\x1b\x7f\x80\xc2\xe2\xf0\xff\"'\\{}[]:,=/ .-+#%?&;0123456789";

/// Numbers at the edges of the types parsers read them into.
const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "255",
    "256",
    "1000",
    "1001",
    "65535",
    "65536",
    "2147483647",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e309",
    "-0",
    "0.5",
    "NaN",
    "inf",
];

/// The mutation engine for one target: its dictionary and the largest input it takes.
#[derive(Debug)]
pub(super) struct Mutator {
    pub(super) dictionary: Vec<Vec<u8>>,
    pub(super) max_len: usize,
}

impl Mutator {
    /// A mutant of `input`: 1 to 16 stacked mutations (fewer more often), `other` a second corpus
    /// entry to splice from.
    pub(super) fn mutate(&self, rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut data = input.to_vec();
        let stack = 1 << rng.below(5);
        for _ in 0..rng.below(stack) + 1 {
            self.mutate_once(rng, &mut data, other);
        }
        data.truncate(self.max_len);
        data
    }

    fn mutate_once(&self, rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
        match rng.below(13) {
            0 if !data.is_empty() => {
                let at = rng.below(data.len());
                data[at] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let at = rng.below(data.len());
                data[at] = random_byte(rng);
            }
            2 => {
                let at = rng.below(data.len() + 1);
                let count = 1 + rng.below(4);
                let bytes: Vec<u8> = (0..count).map(|_| random_byte(rng)).collect();
                data.splice(at..at, bytes);
            }
            3 if !data.is_empty() => {
                let (start, end) = range(rng, data.len());
                data.drain(start..end);
            }
            4 if !data.is_empty() => {
                // Copy a piece of the input elsewhere in it (repeats, nesting).
                let (start, end) = range(rng, data.len());
                let piece = data[start..end].to_vec();
                let at = rng.below(data.len() + 1);
                data.splice(at..at, piece);
            }
            5 | 6 if !self.dictionary.is_empty() => {
                let token = rng.pick(&self.dictionary).clone();
                let at = rng.below(data.len() + 1);
                data.splice(at..at, token);
            }
            7 if !self.dictionary.is_empty() && !data.is_empty() => {
                let token = rng.pick(&self.dictionary).clone();
                let at = rng.below(data.len());
                let end = (at + token.len()).min(data.len());
                data.splice(at..end, token);
            }
            8 if !other.is_empty() => {
                // Splice: our head, the other input's tail.
                let cut = rng.below(data.len() + 1);
                let from = rng.below(other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            9 | 12 => {
                if let Some((start, end)) = number_at(data, rng) {
                    let number = rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec();
                    data.splice(start..end, number);
                } else {
                    let number = rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec();
                    let at = rng.below(data.len() + 1);
                    data.splice(at..at, number);
                }
            }
            10 if data.len() > 1 => {
                // Swap two bytes.
                let (a, b) = (rng.below(data.len()), rng.below(data.len()));
                data.swap(a, b);
            }
            11 if !data.is_empty() && data.len() < self.max_len / 2 => {
                // Repeat a piece many times: long lines, deep nesting, big counts.
                let (start, end) = range(rng, data.len());
                let piece = data[start..end].to_vec();
                let times = 2 + rng.below(64);
                let at = rng.below(data.len() + 1);
                let repeated: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                data.splice(at..at, repeated);
            }
            _ => {
                let at = rng.below(data.len() + 1);
                data.insert(at, random_byte(rng));
            }
        }
    }
}

fn random_byte(rng: &mut Rng) -> u8 {
    if rng.one_in(2) {
        *rng.pick(INTERESTING_BYTES)
    } else {
        rng.next_u64() as u8
    }
}

/// A short range within `len` bytes (at least one byte), mostly small.
fn range(rng: &mut Rng, len: usize) -> (usize, usize) {
    let start = rng.below(len);
    let longest = (len - start).min(if rng.one_in(4) { len } else { 16 });
    (start, start + 1 + rng.below(longest))
}

/// A run of ASCII digits (with a leading minus) somewhere in `data`, picked at random.
fn number_at(data: &[u8], rng: &mut Rng) -> Option<(usize, usize)> {
    if data.is_empty() {
        return None;
    }
    let from = rng.below(data.len());
    let start = from + data[from..].iter().position(u8::is_ascii_digit)?;
    let end = start
        + data[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
    let start = if start > 0 && data[start - 1] == b'-' {
        start - 1
    } else {
        start
    };
    Some((start, end))
}
