//! Markdown read with pulldown-cmark into a flat list of blocks with their lines: headings,
//! paragraphs, list items (with their nesting) and code blocks.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// One block of a Markdown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// `## Title`.
    Heading(Heading),
    /// A paragraph outside a list item, or after a nested block inside one.
    Paragraph(Inline),
    /// One list item, with the text it has before any nested list or code.
    Item(Item),
    /// A fenced or indented code block.
    Code(Code),
    /// A table, cell text only.
    Table(Table),
}

/// A table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The header row's cells.
    pub header: Vec<String>,
    /// The body rows' cells.
    pub rows: Vec<Vec<String>>,
    /// The line it starts on.
    pub line: usize,
}

/// A heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 to 6.
    pub level: usize,
    /// Its text, inline code without backticks.
    pub text: String,
    /// Its line, from 1.
    pub line: usize,
}

/// Inline text: soft breaks kept as `\n`, inline code kept in backticks and also listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inline {
    /// The text.
    pub text: String,
    /// The inline code spans, in order.
    pub codes: Vec<String>,
    /// The line it starts on.
    pub line: usize,
    /// The list item it is inside, as an index into the blocks.
    pub parent: Option<usize>,
    /// The text of a bold span that opens it (`**If backups are gone:** restore …` → `If
    /// backups are gone:`), a label its author set apart.
    pub bold: Option<String>,
    /// The text of every bold span in it, in order (`Playbook Version:`, `Last Reviewed:`).
    pub bolds: Vec<String>,
}

/// A list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its own text (not that of nested items).
    pub inline: Inline,
    /// `- [ ]` / `- [x]`.
    pub task: Option<bool>,
    /// Whether nested list items follow.
    pub has_children: bool,
    /// Whether code blocks are nested in it.
    pub has_code: bool,
}

/// A code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The info string of a fence (empty for indented code).
    pub info: String,
    /// The code.
    pub body: String,
    /// The line of the opening fence.
    pub line: usize,
    /// The line of the first line of code.
    pub body_line: usize,
    /// Whether the fence was closed.
    pub closed: bool,
    /// The list item it is inside.
    pub parent: Option<usize>,
}

/// Where inline text currently goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Block(usize),
    Nowhere,
}

/// Line starts of a text, to turn byte offsets into line numbers.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines(starts)
    }

    fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// Reads Markdown into blocks.
pub fn parse(text: &str) -> Vec<Block> {
    let lines = Lines::new(text);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut blocks: Vec<Block> = Vec::new();
    let mut items: Vec<usize> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    let mut in_table = 0usize;
    // The block a bold span is in and where in its text it starts, while that span lasts.
    let mut bold_opens: Option<(usize, usize)> = None;

    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let line = lines.line_of(range.start);
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                blocks.push(Block::Heading(Heading {
                    level: level as usize,
                    text: String::new(),
                    line,
                }));
                targets.push(Target::Block(blocks.len() - 1));
            }
            Event::Start(Tag::Item) => {
                let parent = items.last().copied();
                if let Some(Block::Item(p)) = parent.and_then(|p| blocks.get_mut(p)) {
                    p.has_children = true;
                }
                blocks.push(Block::Item(Item {
                    inline: Inline {
                        line,
                        parent,
                        ..Inline::default()
                    },
                    task: None,
                    has_children: false,
                    has_code: false,
                }));
                items.push(blocks.len() - 1);
                targets.push(Target::Block(blocks.len() - 1));
            }
            Event::Start(Tag::Paragraph) => {
                let in_item_text =
                    matches!(targets.last(), Some(Target::Block(i)) if items.last() == Some(i));
                if in_item_text || in_table > 0 {
                    targets.push(targets.last().copied().unwrap_or(Target::Nowhere));
                } else {
                    blocks.push(Block::Paragraph(Inline {
                        line,
                        parent: items.last().copied(),
                        ..Inline::default()
                    }));
                    targets.push(Target::Block(blocks.len() - 1));
                }
            }
            Event::Start(Tag::List(_)) => {
                detach_item_text(&mut targets, &items);
                targets.push(Target::Nowhere);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let parent = items.last().copied();
                if let Some(Block::Item(p)) = parent.and_then(|p| blocks.get_mut(p)) {
                    p.has_code = true;
                }
                let (info, body_line, closed) = match kind {
                    CodeBlockKind::Fenced(info) => (
                        info.to_string(),
                        line + 1,
                        super::fences::is_closed(&text[range.clone()]),
                    ),
                    CodeBlockKind::Indented => (String::new(), line, true),
                };
                blocks.push(Block::Code(Code {
                    info,
                    body: String::new(),
                    line,
                    body_line,
                    closed,
                    parent,
                }));
                detach_item_text(&mut targets, &items);
                targets.push(Target::Block(blocks.len() - 1));
            }
            Event::Start(Tag::Table(_)) => {
                in_table += 1;
                blocks.push(Block::Table(Table {
                    line,
                    ..Table::default()
                }));
                targets.push(Target::Block(blocks.len() - 1));
            }
            Event::Start(Tag::TableRow) => {
                if let Some(Block::Table(t)) = table_of(&mut blocks, targets.last()) {
                    t.rows.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => {
                if let Some(Block::Table(t)) = table_of(&mut blocks, targets.last()) {
                    // Cells of the head go to `header` (the head has no row of its own).
                    match t.rows.last_mut() {
                        Some(row) => row.push(String::new()),
                        None => t.header.push(String::new()),
                    }
                }
            }
            Event::Start(Tag::HtmlBlock)
            | Event::Start(Tag::FootnoteDefinition(_))
            | Event::Start(Tag::MetadataBlock(_)) => targets.push(Target::Nowhere),
            Event::Start(Tag::BlockQuote(_))
            | Event::Start(Tag::DefinitionList)
            | Event::Start(Tag::DefinitionListTitle)
            | Event::Start(Tag::DefinitionListDefinition) => {
                targets.push(targets.last().copied().unwrap_or(Target::Nowhere));
            }
            Event::Start(Tag::Strong) => {
                if let Some(&Target::Block(i)) = targets.last()
                    && let Some(Block::Paragraph(inline) | Block::Item(Item { inline, .. })) =
                        blocks.get(i)
                {
                    bold_opens = Some((i, inline.text.len()));
                }
            }
            Event::End(TagEnd::Strong) => {
                if let Some((i, from)) = bold_opens.take()
                    && let Some(Block::Paragraph(inline) | Block::Item(Item { inline, .. })) =
                        blocks.get_mut(i)
                {
                    let span = inline
                        .text
                        .get(from..)
                        .unwrap_or_default()
                        .trim()
                        .to_owned();
                    if inline.text[..from].trim().is_empty() {
                        inline.bold = Some(span.clone());
                    }
                    inline.bolds.push(span);
                }
            }
            Event::Start(_) => {}
            Event::End(end) => match end {
                TagEnd::Heading(_)
                | TagEnd::Paragraph
                | TagEnd::List(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::FootnoteDefinition
                | TagEnd::MetadataBlock(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::DefinitionList
                | TagEnd::DefinitionListTitle
                | TagEnd::DefinitionListDefinition => {
                    targets.pop();
                }
                TagEnd::Item => {
                    items.pop();
                    targets.pop();
                }
                TagEnd::Table => {
                    in_table = in_table.saturating_sub(1);
                    targets.pop();
                }
                _ => {}
            },
            Event::TaskListMarker(checked) => {
                if let Some(Block::Item(item)) = items.last().and_then(|&i| blocks.get_mut(i)) {
                    item.task = Some(checked);
                }
            }
            Event::Text(t) => push_text(&mut blocks, targets.last(), &t, false),
            Event::Code(c) => push_text(&mut blocks, targets.last(), &c, true),
            Event::SoftBreak | Event::HardBreak => {
                push_text(&mut blocks, targets.last(), "\n", false);
            }
            _ => {}
        }
    }
    blocks
}

/// The table inline text currently goes to, if any.
fn table_of<'a>(blocks: &'a mut [Block], target: Option<&Target>) -> Option<&'a mut Block> {
    match target {
        Some(&Target::Block(i)) => blocks.get_mut(i).filter(|b| matches!(b, Block::Table(_))),
        _ => None,
    }
}

/// After a nested list or code block, later text of the item stands on its own paragraph
/// rather than running on from the item's title.
fn detach_item_text(targets: &mut [Target], items: &[usize]) {
    if let Some(last) = targets.last_mut()
        && matches!(last, Target::Block(i) if items.last() == Some(i))
    {
        *last = Target::Nowhere;
    }
}

/// Adds inline text (or code, when `code`) to the block that collects it.
fn push_text(blocks: &mut [Block], target: Option<&Target>, text: &str, code: bool) {
    let Some(&Target::Block(i)) = target else {
        return;
    };
    match blocks.get_mut(i) {
        Some(Block::Heading(h)) => h.text.push_str(text),
        Some(Block::Code(c)) => c.body.push_str(text),
        Some(Block::Table(t)) => {
            let cell = match t.rows.last_mut() {
                Some(row) => row.last_mut(),
                None => t.header.last_mut(),
            };
            if let Some(cell) = cell {
                cell.push_str(if text == "\n" { " " } else { text });
            }
        }
        Some(Block::Paragraph(inline)) | Some(Block::Item(Item { inline, .. })) => {
            if code {
                inline.text.push('`');
                inline.text.push_str(text);
                inline.text.push('`');
                inline.codes.push(text.to_owned());
            } else {
                inline.text.push_str(text);
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_know_their_nesting_and_lines() {
        let blocks = parse("# T\n\n- **Alerts:**\n    - `DiskFull` firing\n- [ ] checked\n");
        assert!(matches!(&blocks[0], Block::Heading(h) if h.level == 1 && h.line == 1));
        let Block::Item(parent) = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert_eq!(parent.inline.text, "Alerts:");
        assert_eq!(parent.inline.bold.as_deref(), Some("Alerts:"));
        assert!(parent.has_children);
        let Block::Item(child) = &blocks[2] else {
            panic!("{blocks:?}")
        };
        assert_eq!(child.inline.parent, Some(1));
        assert_eq!(child.inline.codes, ["DiskFull"]);
        assert_eq!(child.inline.line, 4);
        let Block::Item(task) = &blocks[3] else {
            panic!("{blocks:?}")
        };
        assert_eq!(task.task, Some(false));
        assert_eq!(task.inline.text, "checked");
        assert_eq!(task.inline.bold, None);
    }

    #[test]
    fn a_bold_span_that_opens_a_paragraph_is_its_label() {
        let blocks = parse("**When mixed with other alerts**:\n\nSee **this** too.\n");
        assert!(
            matches!(&blocks[0], Block::Paragraph(p) if p.bold.as_deref() == Some("When mixed with other alerts"))
        );
        assert!(matches!(&blocks[1], Block::Paragraph(p) if p.bold.is_none()));
    }

    #[test]
    fn tables_keep_their_cells_as_text() {
        let blocks = parse(
            "Intro\n\n| Key | Value |\n| --- | --- |\n| **RTO** | < 5 min |\n| Dashboard | [API](https://x) |\n",
        );
        let Block::Table(table) = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert_eq!(table.header, ["Key", "Value"]);
        assert_eq!(table.rows, [["RTO", "< 5 min"], ["Dashboard", "API"]]);
        assert_eq!(table.line, 3);
    }

    #[test]
    fn code_blocks_keep_their_body_and_lines() {
        let blocks = parse("text\n\n```bash\nls\npwd\n```\n\n```sh\nopen\n");
        let Block::Code(code) = &blocks[1] else {
            panic!("{blocks:?}")
        };
        assert_eq!((code.line, code.body_line), (3, 4));
        assert_eq!(code.body, "ls\npwd\n");
        assert!(code.closed);
        let Block::Code(open) = &blocks[2] else {
            panic!("{blocks:?}")
        };
        assert!(!open.closed);
        assert_eq!(open.line, 8);
    }

    #[test]
    fn loose_items_keep_their_first_paragraph_and_code() {
        let blocks = parse(
            "1. Restart it:\n\n   ```sh\n   kubectl rollout restart x\n   ```\n\n   Then wait.\n",
        );
        let Block::Item(item) = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(item.inline.text, "Restart it:");
        assert!(item.has_code);
        assert!(matches!(&blocks[1], Block::Code(c) if c.parent == Some(0)));
        assert!(matches!(&blocks[2], Block::Paragraph(p) if p.text == "Then wait."));
    }
}
