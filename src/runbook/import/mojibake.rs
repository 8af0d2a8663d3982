//! Text that went through the wrong encoding: UTF-8 read as Windows-1252 (mojibake such as
//! `ðŸš¨` for 🚨 and `â€”` for —) is repaired, and files that are not UTF-8 are read as
//! Windows-1252.

/// The byte a character stands for when UTF-8 text was wrongly decoded as Windows-1252
/// (or Latin-1, for the five bytes Windows-1252 leaves undefined).
fn cp1252_byte(c: char) -> Option<u8> {
    let code = c as u32;
    if (0x80..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    let byte = match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(byte)
}

/// Decodes bytes as Windows-1252, the usual encoding of text that is not UTF-8.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '•', '–', '—', '˜',
        '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// How many continuation bytes follow a UTF-8 lead byte (0 when it is not a lead byte).
fn continuation_count(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 1,
        0xE0..=0xEF => 2,
        0xF0..=0xF4 => 3,
        _ => 0,
    }
}

/// Lead characters that start almost every real mojibake sequence (`Ã`, `Â`, `â`, `ð`, `ï`);
/// a broken sequence is dropped only when it starts with one of them.
fn is_typical_mojibake_lead(lead: u8) -> bool {
    matches!(lead, 0xC2 | 0xC3 | 0xE2 | 0xEF | 0xF0)
}

/// Repairs UTF-8 text that was once decoded as Windows-1252 (`ðŸš¨` → 🚨, `â€”` → —);
/// a broken sequence that cannot be repaired is dropped rather than shown.
pub fn repair_mojibake(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let needed = cp1252_byte(c).map_or(0, continuation_count);
        if needed == 0 {
            out.push(c);
            i += 1;
            continue;
        }
        let mut bytes = vec![cp1252_byte(c).unwrap_or(0)];
        for &next in chars.iter().skip(i + 1).take(needed) {
            match cp1252_byte(next) {
                Some(b @ 0x80..=0xBF) => bytes.push(b),
                _ => break,
            }
        }
        let found = bytes.len() - 1;
        if found == needed {
            if let Ok(decoded) = std::str::from_utf8(&bytes) {
                out.push_str(decoded);
                i += needed + 1;
                continue;
            }
        } else if found > 0 && is_typical_mojibake_lead(bytes[0]) {
            i += found + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_repaired() {
        assert_eq!(repair_mojibake("ðŸš¨ Fire"), "🚨 Fire");
        assert_eq!(repair_mojibake("a â€” b"), "a — b");
        assert_eq!(repair_mojibake("âœ… ok"), "✅ ok");
        assert_eq!(repair_mojibake("ðŸ“– guide"), "📖 guide");
    }

    #[test]
    fn real_accents_and_dashes_are_left_alone() {
        for text in ["café", "naïve — ok", "5 °C", "£10", "über"] {
            assert_eq!(repair_mojibake(text), text);
        }
    }

    #[test]
    fn broken_mojibake_is_dropped() {
        assert_eq!(repair_mojibake("ðŸ Fire"), " Fire");
        assert_eq!(repair_mojibake("a â€ b"), "a  b");
    }

    #[test]
    fn latin1_bytes_decode() {
        assert_eq!(decode_cp1252(b"caf\xe9 \x97 ok"), "café — ok");
    }
}
