//! Deterministic identifiers and pseudo-random numbers derived from a tenant seed.
//! Object ids embed their index, so any id can be mapped back to the object that produced it
//! without keeping a table per tenant.

use uuid::Uuid;

/// splitmix64 finaliser: a fast, well-spread mixing function.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a seed, a kind label and an index (FNV-1a over the label, then two mixing rounds).
pub fn hash3(seed: u64, kind: &str, index: u64) -> u64 {
    let mut label: u64 = 0xCBF2_9CE4_8422_2325;
    for b in kind.as_bytes() {
        label ^= u64::from(*b);
        label = label.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(mix(seed ^ 0x5EED ^ label) ^ index.wrapping_mul(0xA24B_AED4_963E_E407))
}

/// A value in `0..n` derived from (seed, kind, index).
pub fn pick(seed: u64, kind: &str, index: u64, n: u64) -> u64 {
    if n == 0 { 0 } else { hash3(seed, kind, index) % n }
}

/// A fraction in [0, 1) derived from (seed, kind, index).
pub fn unit(seed: u64, kind: &str, index: u64) -> f64 {
    (hash3(seed, kind, index) >> 11) as f64 / (1u64 << 53) as f64
}

const PERM_MUL: u32 = 0x9E37_79B1;

fn perm_inverse() -> u32 {
    // Newton's iteration for the inverse of an odd number modulo 2^32.
    let mut x: u32 = PERM_MUL;
    for _ in 0..5 {
        x = x.wrapping_mul(2u32.wrapping_sub(PERM_MUL.wrapping_mul(x)));
    }
    x
}

fn kind_mask(seed: u64, kind: &str) -> u32 {
    hash3(seed, kind, u64::MAX) as u32
}

/// A version-5 style UUID for object `index` of `kind` in the tenant with `seed`.
/// The last four bytes are an invertible scramble of the index.
pub fn object_id(seed: u64, kind: &str, index: u32) -> Uuid {
    let tail = (index ^ kind_mask(seed, kind)).wrapping_mul(PERM_MUL);
    let a = hash3(seed, kind, u64::from(tail));
    let b = mix(a ^ 0x000B_1EC7);
    let mut bytes = [0u8; 16];
    bytes[0..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..12].copy_from_slice(&b.to_be_bytes()[0..4]);
    bytes[12..16].copy_from_slice(&tail.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0F) | 0x50;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    Uuid::from_bytes(bytes)
}

/// The index of an id made by [`object_id`] with the same seed and kind, if it is one.
pub fn object_index(seed: u64, kind: &str, id: &Uuid) -> Option<u32> {
    let bytes = id.as_bytes();
    let tail = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let index = tail.wrapping_mul(perm_inverse()) ^ kind_mask(seed, kind);
    (object_id(seed, kind, index) == *id).then_some(index)
}

/// Parses a string id and maps it back to its index.
pub fn parse_index(seed: u64, kind: &str, id: &str) -> Option<u32> {
    Uuid::parse_str(id)
        .ok()
        .and_then(|u| object_index(seed, kind, &u))
}

/// 40 lower-case hex characters, like Defender machine ids.
pub fn hex40(seed: u64, kind: &str, index: u32) -> String {
    let mut s = String::with_capacity(40);
    for part in 0..3u64 {
        s.push_str(&format!(
            "{:016x}",
            hash3(seed, kind, (u64::from(index) << 2) | part)
        ));
    }
    s.truncate(40);
    s
}

/// A secret value shaped like an Entra client secret (40 characters with the `~` marker).
pub fn secret_value(seed: u64, ordinal: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let mut s = String::with_capacity(40);
    for i in 0..40u64 {
        let h = hash3(seed, "client-secret", (ordinal << 8) | i);
        s.push(char::from(ALPHABET[(h % ALPHABET.len() as u64) as usize]));
    }
    s.replace_range(3..5, "8Q");
    s.replace_range(5..6, "~");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_round_trip_to_their_index() {
        for i in [0u32, 1, 2, 999, 199_999, u32::MAX - 1] {
            let id = object_id(42, "user", i);
            assert_eq!(object_index(42, "user", &id), Some(i));
            assert_eq!(object_index(42, "group", &id), None);
            assert_eq!(object_index(43, "user", &id), None);
        }
    }

    #[test]
    fn secret_values_look_like_entra_secrets() {
        let s = secret_value(7, 0);
        assert_eq!(s.len(), 40);
        assert_eq!(&s[3..6], "8Q~");
    }
}
