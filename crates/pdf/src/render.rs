//! Lays out an [`InvoiceView`] as A4 pages: letterhead, address block,
//! metadata, a line table that flows across pages with a repeated header,
//! VAT breakdown, totals, payment instructions with an EPC (GiroCode) QR code,
//! notes and page numbers.

use qrcode::{Color as QrColor, EcLevel, QrCode};

use crate::layout::{ACCENT, Align, Colour, Fonts, INK, MUTED, Op, PAGE_H, PAGE_W, PageOps, SHADE};
use crate::view::InvoiceView;

/// The language of the printed labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// German labels, `1.234,56` amounts, `31.12.2026` dates.
    #[default]
    De,
    /// English labels, `1,234.56` amounts, ISO dates.
    En,
}

impl Lang {
    /// The BCP 47 tag written into the PDF metadata.
    pub fn tag(self) -> &'static str {
        match self {
            Self::De => "de-DE",
            Self::En => "en",
        }
    }
}

struct Labels {
    invoice: &'static str,
    credit_note: &'static str,
    number: &'static str,
    date: &'static str,
    delivery: &'static str,
    period: &'static str,
    due: &'static str,
    buyer_ref: &'static str,
    order_ref: &'static str,
    vat_id: &'static str,
    tax_no: &'static str,
    pos: &'static str,
    item: &'static str,
    qty: &'static str,
    price: &'static str,
    vat: &'static str,
    amount: &'static str,
    vat_breakdown: &'static str,
    category: &'static str,
    rate: &'static str,
    basis: &'static str,
    total_lines: &'static str,
    allowances: &'static str,
    charges: &'static str,
    total_net: &'static str,
    total_vat: &'static str,
    total_gross: &'static str,
    prepaid: &'static str,
    due_amount: &'static str,
    payment: &'static str,
    account_holder: &'static str,
    reference: &'static str,
    notes: &'static str,
    page: &'static str,
    of: &'static str,
    continued: &'static str,
    scan: &'static str,
    contact: &'static str,
}

const DE: Labels = Labels {
    invoice: "Rechnung",
    credit_note: "Gutschrift",
    number: "Rechnungsnummer",
    date: "Rechnungsdatum",
    delivery: "Leistungsdatum",
    period: "Leistungszeitraum",
    due: "Fällig am",
    buyer_ref: "Käuferreferenz",
    order_ref: "Bestellnummer",
    vat_id: "USt-IdNr.",
    tax_no: "Steuernummer",
    pos: "Pos.",
    item: "Bezeichnung",
    qty: "Menge",
    price: "Einzelpreis",
    vat: "USt.",
    amount: "Betrag",
    vat_breakdown: "Umsatzsteuer",
    category: "Kategorie",
    rate: "Satz",
    basis: "Nettobetrag",
    total_lines: "Summe Positionen",
    allowances: "Nachlässe",
    charges: "Zuschläge",
    total_net: "Gesamt netto",
    total_vat: "Umsatzsteuer",
    total_gross: "Gesamt brutto",
    prepaid: "Bereits gezahlt",
    due_amount: "Zahlbetrag",
    payment: "Zahlung",
    account_holder: "Kontoinhaber",
    reference: "Verwendungszweck",
    notes: "Hinweise",
    page: "Seite",
    of: "von",
    continued: "Fortsetzung",
    scan: "GiroCode: mit der Banking-App scannen",
    contact: "Kontakt",
};

const EN: Labels = Labels {
    invoice: "Invoice",
    credit_note: "Credit note",
    number: "Invoice number",
    date: "Invoice date",
    delivery: "Delivery date",
    period: "Billing period",
    due: "Due date",
    buyer_ref: "Buyer reference",
    order_ref: "Purchase order",
    vat_id: "VAT ID",
    tax_no: "Tax number",
    pos: "No.",
    item: "Description",
    qty: "Quantity",
    price: "Unit price",
    vat: "VAT",
    amount: "Amount",
    vat_breakdown: "VAT breakdown",
    category: "Category",
    rate: "Rate",
    basis: "Taxable amount",
    total_lines: "Sum of lines",
    allowances: "Allowances",
    charges: "Charges",
    total_net: "Total net",
    total_vat: "Total VAT",
    total_gross: "Total gross",
    prepaid: "Paid",
    due_amount: "Amount due",
    payment: "Payment",
    account_holder: "Account holder",
    reference: "Reference",
    notes: "Notes",
    page: "Page",
    of: "of",
    continued: "continued",
    scan: "Scan with your banking app (EPC QR)",
    contact: "Contact",
};

fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

/// Formats a decimal string for `lang` without floating point: `1234.5` →
/// `1.234,50` (de) / `1,234.50` (en). Non-numeric input is returned as is.
pub(crate) fn format_amount(raw: &str, lang: Lang, min_decimals: usize) -> String {
    let raw = raw.trim();
    let (neg, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return raw.to_owned();
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac = frac.trim_end_matches('0').to_owned();
    while frac.len() < min_decimals {
        frac.push('0');
    }
    let (group, point) = match lang {
        Lang::De => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::new();
    let n = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&grouped);
    if !frac.is_empty() {
        out.push(point);
        out.push_str(&frac);
    }
    out
}

fn format_date(iso: &str, lang: Lang) -> String {
    let b = iso.as_bytes();
    if lang == Lang::De && b.len() == 10 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') {
        format!(
            "{}.{}.{}",
            iso.get(8..10).unwrap_or_default(),
            iso.get(5..7).unwrap_or_default(),
            iso.get(0..4).unwrap_or_default()
        )
    } else {
        iso.to_owned()
    }
}

/// The EPC069-12 (GiroCode) payload for a SEPA credit transfer, or `None`
/// when the invoice does not qualify (no IBAN, not EUR, nothing to pay).
pub fn epc_payload(view: &InvoiceView) -> Option<String> {
    let p = &view.payment;
    let iban: String = p.iban.chars().filter(|c| !c.is_whitespace()).collect();
    if iban.len() < 15 || iban.len() > 34 || !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    if !matches!(p.means_code.as_str(), "30" | "58" | "42" | "") || view.currency != "EUR" {
        return None;
    }
    let amount = format_amount(&view.totals.due, Lang::En, 2).replace(',', "");
    let (int, frac) = amount.split_once('.')?;
    if amount.starts_with('-') || frac.len() > 2 || int.len() > 9 || amount == "0.00" {
        return None;
    }
    let name: String = if p.account_name.is_empty() {
        view.seller.name.chars().take(70).collect()
    } else {
        p.account_name.chars().take(70).collect()
    };
    let reference: String = if p.reference.is_empty() {
        view.number.chars().take(140).collect()
    } else {
        p.reference.chars().take(140).collect()
    };
    let clean = |s: &str| s.replace(['\n', '\r'], " ");
    Some(format!(
        "BCD\n002\n1\nSCT\n{}\n{}\n{}\nEUR{}\n\n\n{}",
        clean(&p.bic),
        clean(&name),
        iban,
        amount,
        clean(&reference)
    ))
}

// Geometry (points).
const LEFT: f32 = 56.0;
const RIGHT: f32 = PAGE_W - 56.0;
const BODY_BOTTOM: f32 = PAGE_H - 70.0;
const ROW: f32 = 13.0;
const SIZE: f32 = 8.5;

// Line table columns (right edges for numbers).
const C_POS: f32 = LEFT + 4.0;
const C_ITEM: f32 = LEFT + 32.0;
const C_QTY: f32 = LEFT + 300.0;
const C_PRICE: f32 = LEFT + 365.0;
const C_VAT: f32 = LEFT + 405.0;
const C_AMOUNT: f32 = RIGHT - 4.0;

struct Flow<'a> {
    fonts: &'a Fonts,
    lang: Lang,
    /// Finished pages.
    pages: Vec<PageOps>,
    /// The page being filled.
    current: PageOps,
    y: f32,
}

impl Flow<'_> {
    fn page(&mut self) -> &mut PageOps {
        &mut self.current
    }

    fn new_page(&mut self, view: &InvoiceView) {
        self.pages.push(std::mem::take(&mut self.current));
        let l = labels(self.lang);
        let fonts = self.fonts;
        let title = format!("{} {} – {}", title(view, l), view.number, l.continued);
        let page = self.page();
        page.text(
            fonts,
            LEFT,
            50.0,
            9.0,
            true,
            ACCENT,
            Align::Left,
            &view.seller.name,
        );
        page.text(fonts, RIGHT, 50.0, 9.0, false, MUTED, Align::Right, &title);
        page.line(LEFT, 58.0, RIGHT, 58.0, 0.8, ACCENT);
        self.y = 80.0;
    }

    /// Makes room for `h` points, breaking the page when needed.
    fn need(&mut self, h: f32, view: &InvoiceView) -> bool {
        if self.y + h > BODY_BOTTOM {
            self.new_page(view);
            true
        } else {
            false
        }
    }

    #[expect(clippy::too_many_arguments, reason = "forwarding a text run")]
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, c: Colour, a: Align, t: &str) -> f32 {
        let fonts = self.fonts;
        self.page().text(fonts, x, y, size, bold, c, a, t)
    }
}

fn title(view: &InvoiceView, l: &Labels) -> &'static str {
    if view.type_code == "381" {
        l.credit_note
    } else {
        l.invoice
    }
}

/// Lays out `view` as pages of drawing operations.
pub(crate) fn layout(view: &InvoiceView, fonts: &Fonts, lang: Lang) -> Vec<PageOps> {
    let l = labels(lang);
    let mut f = Flow {
        fonts,
        lang,
        pages: Vec::new(),
        current: PageOps::default(),
        y: 0.0,
    };
    letterhead(&mut f, view, l);
    address_and_meta(&mut f, view, l);
    line_table(&mut f, view, l);
    vat_and_totals(&mut f, view, l);
    payment(&mut f, view, l);
    notes(&mut f, view, l);
    let last = std::mem::take(&mut f.current);
    f.pages.push(last);
    footers(&mut f, view, l);
    f.pages
}

fn letterhead(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    let s = &view.seller;
    f.page().rect(0.0, 0.0, PAGE_W, 6.0, ACCENT);
    f.text(LEFT, 58.0, 16.0, true, ACCENT, Align::Left, &s.name);
    let mut y = 46.0;
    let mut right = s.street.clone();
    right.push(join(&[&s.city_line, &s.country], " · "));
    if !s.vat_id.is_empty() {
        right.push(format!("{} {}", l.vat_id, s.vat_id));
    }
    if !s.tax_number.is_empty() {
        right.push(format!("{} {}", l.tax_no, s.tax_number));
    }
    for line in right.iter().filter(|x| !x.is_empty()) {
        f.text(RIGHT, y, 7.5, false, MUTED, Align::Right, line);
        y += 10.0;
    }
    let rule = y.max(70.0) + 2.0;
    f.page().line(LEFT, rule, RIGHT, rule, 1.0, ACCENT);
    f.y = rule + 30.0;
}

fn join(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

fn address_and_meta(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    let top = f.y;
    let s = &view.seller;
    let sender = join(&[&s.name, &s.street.join(", "), &s.city_line], " · ");
    let fonts = f.fonts;
    let sender = fonts.fit(&fonts.sanitize(&sender, false), false, 6.5, 240.0);
    f.text(LEFT, top, 6.5, false, MUTED, Align::Left, &sender);
    f.page()
        .line(LEFT, top + 3.0, LEFT + 240.0, top + 3.0, 0.3, MUTED);
    let b = &view.buyer;
    let mut y = top + 18.0;
    let mut block = vec![b.name.clone()];
    if !b.contact.is_empty() {
        block.push(b.contact.clone());
    }
    block.extend(b.street.iter().cloned());
    block.push(b.city_line.clone());
    if !b.country.is_empty() && b.country != s.country {
        block.push(b.country.clone());
    }
    for (i, line) in block.iter().filter(|x| !x.is_empty()).enumerate() {
        let line = fonts.fit(&fonts.sanitize(line, i == 0), i == 0, 10.0, 240.0);
        f.text(LEFT, y, 10.0, i == 0, INK, Align::Left, &line);
        y += 13.0;
    }
    if !b.vat_id.is_empty() {
        f.text(
            LEFT,
            y + 2.0,
            8.0,
            false,
            MUTED,
            Align::Left,
            &format!("{} {}", l.vat_id, b.vat_id),
        );
        y += 12.0;
    }

    // Metadata block on the right.
    let lang = f.lang;
    let mut meta: Vec<(&str, String)> = vec![
        (l.number, view.number.clone()),
        (l.date, format_date(&view.issue_date, lang)),
    ];
    if !view.delivery_date.is_empty() {
        if view.period_end.is_empty() {
            meta.push((l.delivery, format_date(&view.delivery_date, lang)));
        } else {
            meta.push((
                l.period,
                format!(
                    "{} – {}",
                    format_date(&view.delivery_date, lang),
                    format_date(&view.period_end, lang)
                ),
            ));
        }
    }
    if !view.payment.due_date.is_empty() {
        meta.push((l.due, format_date(&view.payment.due_date, lang)));
    }
    if !view.buyer_reference.is_empty() {
        meta.push((l.buyer_ref, view.buyer_reference.clone()));
    }
    if !view.order_reference.is_empty() {
        meta.push((l.order_ref, view.order_reference.clone()));
    }
    let contact = join(&[&s.contact, &s.phone, &s.email], " · ");
    if !contact.is_empty() {
        meta.push((l.contact, contact));
    }
    let mut my = top + 18.0;
    let kx = LEFT + 290.0;
    for (k, v) in &meta {
        f.text(kx, my, 8.0, false, MUTED, Align::Left, k);
        let v = fonts.fit(&fonts.sanitize(v, true), true, 8.0, RIGHT - kx - 85.0);
        f.text(RIGHT, my, 8.0, true, INK, Align::Right, &v);
        my += 12.0;
    }
    f.y = y.max(my) + 24.0;
    let heading = format!("{} {}", title(view, l), view.number);
    let heading = fonts.fit(&fonts.sanitize(&heading, true), true, 16.0, RIGHT - LEFT);
    f.text(LEFT, f.y, 16.0, true, INK, Align::Left, &heading);
    f.y += 20.0;
}

fn table_header(f: &mut Flow<'_>, l: &Labels) {
    let y = f.y;
    f.page().rect(LEFT, y, RIGHT - LEFT, ROW + 4.0, ACCENT);
    let ty = y + 11.5;
    let white = Colour(0xff, 0xff, 0xff);
    f.text(C_POS, ty, SIZE, true, white, Align::Left, l.pos);
    f.text(C_ITEM, ty, SIZE, true, white, Align::Left, l.item);
    f.text(C_QTY, ty, SIZE, true, white, Align::Right, l.qty);
    f.text(C_PRICE, ty, SIZE, true, white, Align::Right, l.price);
    f.text(C_VAT, ty, SIZE, true, white, Align::Right, l.vat);
    f.text(C_AMOUNT, ty, SIZE, true, white, Align::Right, l.amount);
    // First row's baseline sits a full row below the header band.
    f.y += ROW + 4.0 + 12.0;
}

fn unit_label(code: &str) -> &str {
    match code {
        "C62" | "H87" | "XPP" | "EA" => "Stk",
        "HUR" => "h",
        "DAY" => "d",
        "KGM" => "kg",
        "MTR" => "m",
        "LTR" => "l",
        "KWH" => "kWh",
        "MON" => "Mon",
        "LS" => "psch",
        other => other,
    }
}

fn line_table(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    if view.lines.is_empty() {
        return;
    }
    f.need(ROW * 4.0, view);
    table_header(f, l);
    let lang = f.lang;
    let fonts = f.fonts;
    let item_w = C_QTY - 60.0 - C_ITEM;
    for (i, line) in view.lines.iter().enumerate() {
        let desc = if line.description.is_empty() || line.description == line.name {
            Vec::new()
        } else {
            fonts.wrap(
                &fonts.sanitize(&line.description, false),
                false,
                7.5,
                item_w,
            )
        };
        let desc: Vec<String> = desc.into_iter().take(6).collect();
        let h = ROW + desc.len() as f32 * 10.0;
        if f.need(h + 2.0, view) {
            table_header(f, l);
        }
        let y = f.y;
        if i % 2 == 1 {
            f.page().rect(LEFT, y - 10.0, RIGHT - LEFT, h + 1.0, SHADE);
        }
        let name = fonts.fit(&fonts.sanitize(&line.name, false), false, SIZE, item_w);
        f.text(C_POS, y, SIZE, false, MUTED, Align::Left, &line.id);
        f.text(C_ITEM, y, SIZE, false, INK, Align::Left, &name);
        let qty = format!(
            "{} {}",
            format_amount(&line.quantity, lang, 0),
            unit_label(&line.unit)
        );
        f.text(C_QTY, y, SIZE, false, INK, Align::Right, &qty);
        f.text(
            C_PRICE,
            y,
            SIZE,
            false,
            INK,
            Align::Right,
            &format_amount(&line.price, lang, 2),
        );
        let vat = if line.vat_rate.is_empty() {
            line.vat_category.clone()
        } else {
            format!("{} %", format_amount(&line.vat_rate, lang, 0))
        };
        f.text(C_VAT, y, SIZE, false, INK, Align::Right, &vat);
        f.text(
            C_AMOUNT,
            y,
            SIZE,
            false,
            INK,
            Align::Right,
            &format_amount(&line.amount, lang, 2),
        );
        let mut dy = y;
        for d in &desc {
            dy += 10.0;
            f.text(C_ITEM, dy, 7.5, false, MUTED, Align::Left, d);
        }
        f.y += h;
    }
    let y = f.y - 6.0;
    f.page().line(LEFT, y, RIGHT, y, 0.6, ACCENT);
    f.y += 10.0;
}

fn vat_and_totals(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    let lang = f.lang;
    let cur = view.currency.as_str();
    let t = &view.totals;
    let mut rows: Vec<(&str, &str, bool)> = Vec::new();
    if !t.lines.is_empty() && (!is_zero(&t.allowances) || !is_zero(&t.charges)) {
        rows.push((l.total_lines, &t.lines, false));
    }
    if !is_zero(&t.allowances) {
        rows.push((l.allowances, &t.allowances, false));
    }
    if !is_zero(&t.charges) {
        rows.push((l.charges, &t.charges, false));
    }
    rows.push((l.total_net, &t.net, false));
    rows.push((l.total_vat, &t.vat, false));
    rows.push((l.total_gross, &t.gross, true));
    if !is_zero(&t.prepaid) {
        rows.push((l.prepaid, &t.prepaid, false));
    }
    rows.push((l.due_amount, &t.due, true));
    let vat_rows = view.vat.len();
    let h = 20.0 + (rows.len().max(vat_rows + 1) as f32) * ROW + 10.0;
    f.need(h, view);
    let top = f.y;

    // VAT breakdown (left).
    f.text(LEFT, top, 9.0, true, ACCENT, Align::Left, l.vat_breakdown);
    let mut y = top + 15.0;
    let cx = [LEFT, LEFT + 90.0, LEFT + 170.0, LEFT + 240.0];
    f.text(cx[0], y, 7.5, true, MUTED, Align::Left, l.category);
    f.text(cx[1], y, 7.5, true, MUTED, Align::Right, l.rate);
    f.text(cx[2], y, 7.5, true, MUTED, Align::Right, l.basis);
    f.text(cx[3], y, 7.5, true, MUTED, Align::Right, l.vat);
    for row in &view.vat {
        y += ROW;
        f.text(cx[0], y, SIZE, false, INK, Align::Left, &row.category);
        let rate = if row.rate.is_empty() {
            String::new()
        } else {
            format!("{} %", format_amount(&row.rate, lang, 0))
        };
        f.text(cx[1], y, SIZE, false, INK, Align::Right, &rate);
        f.text(
            cx[2],
            y,
            SIZE,
            false,
            INK,
            Align::Right,
            &format_amount(&row.basis, lang, 2),
        );
        f.text(
            cx[3],
            y,
            SIZE,
            false,
            INK,
            Align::Right,
            &format_amount(&row.amount, lang, 2),
        );
        if !row.exemption.is_empty() {
            y += 10.0;
            let fonts = f.fonts;
            let e = fonts.fit(&fonts.sanitize(&row.exemption, false), false, 7.0, 240.0);
            f.text(cx[0], y, 7.0, false, MUTED, Align::Left, &e);
        }
    }

    // Totals (right).
    let kx = LEFT + 290.0;
    let mut ty = top + 15.0;
    for (label, value, strong) in rows {
        if strong {
            f.page()
                .rect(kx - 6.0, ty - 10.0, RIGHT - kx + 6.0, ROW + 1.0, SHADE);
        }
        f.text(kx, ty, SIZE, strong, INK, Align::Left, label);
        let v = format!("{} {}", format_amount(value, lang, 2), cur);
        f.text(C_AMOUNT, ty, SIZE, strong, INK, Align::Right, &v);
        ty += ROW + 1.0;
    }
    f.y = y.max(ty) + 20.0;
}

/// Whether an amount is absent or zero (`""`, `0`, `0.00`).
fn is_zero(amount: &str) -> bool {
    amount
        .trim()
        .trim_start_matches(['-', '+'])
        .chars()
        .all(|c| c == '0' || c == '.')
}

fn payment(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    let p = &view.payment;
    let mut rows: Vec<(&str, String)> = Vec::new();
    if !p.iban.is_empty() {
        rows.push(("IBAN", p.iban.clone()));
    }
    if !p.bic.is_empty() {
        rows.push(("BIC", p.bic.clone()));
    }
    if !p.account_name.is_empty() {
        rows.push((l.account_holder, p.account_name.clone()));
    }
    if !p.reference.is_empty() {
        rows.push((l.reference, p.reference.clone()));
    }
    let fonts = f.fonts;
    let terms = fonts.wrap(&fonts.sanitize(&p.terms, false), false, SIZE, 300.0);
    let qr = epc_payload(view).and_then(|payload| {
        QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()
    });
    if rows.is_empty() && terms.is_empty() && qr.is_none() {
        return;
    }
    let qr_size = 92.0;
    let h = (20.0 + (rows.len() + terms.len()) as f32 * 12.0).max(if qr.is_some() {
        qr_size + 30.0
    } else {
        0.0
    });
    f.need(h, view);
    let top = f.y;
    f.text(LEFT, top, 9.0, true, ACCENT, Align::Left, l.payment);
    let mut y = top + 15.0;
    for (k, v) in &rows {
        f.text(LEFT, y, SIZE, false, MUTED, Align::Left, k);
        let v = fonts.fit(&fonts.sanitize(v, true), true, SIZE, 220.0);
        f.text(LEFT + 95.0, y, SIZE, true, INK, Align::Left, &v);
        y += 12.0;
    }
    for t in &terms {
        f.text(LEFT, y, SIZE, false, INK, Align::Left, t);
        y += 12.0;
    }
    if let Some(code) = qr {
        let width = code.width();
        let quiet = 2usize;
        let module = qr_size / (width + 2 * quiet) as f32;
        let x0 = RIGHT - qr_size;
        let y0 = top - 8.0;
        let mut rects = Vec::new();
        for (i, c) in code.to_colors().iter().enumerate() {
            if *c == QrColor::Dark {
                let (cx, cy) = (i % width + quiet, i / width + quiet);
                rects.push((
                    x0 + cx as f32 * module,
                    y0 + cy as f32 * module,
                    module + 0.01,
                ));
            }
        }
        f.page().ops.push(Op::Modules { rects });
        f.text(
            RIGHT,
            y0 + qr_size + 8.0,
            6.5,
            false,
            MUTED,
            Align::Right,
            l.scan,
        );
        y = y.max(y0 + qr_size + 14.0);
    }
    f.y = y + 14.0;
}

fn notes(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    if view.notes.is_empty() {
        return;
    }
    let fonts = f.fonts;
    f.need(40.0, view);
    let y = f.y;
    f.text(LEFT, y, 9.0, true, ACCENT, Align::Left, l.notes);
    f.y += 14.0;
    for note in &view.notes {
        for line in fonts
            .wrap(&fonts.sanitize(note, false), false, 7.5, RIGHT - LEFT)
            .into_iter()
            .take(60)
        {
            f.need(10.0, view);
            let y = f.y;
            f.text(LEFT, y, 7.5, false, INK, Align::Left, &line);
            f.y += 10.0;
        }
        f.y += 4.0;
    }
}

fn footers(f: &mut Flow<'_>, view: &InvoiceView, l: &Labels) {
    let n = f.pages.len();
    let fonts = f.fonts;
    let s = &view.seller;
    let left = fonts.fit(
        &fonts.sanitize(&join(&[&s.name, &s.vat_id, &s.email], " · "), false),
        false,
        7.0,
        360.0,
    );
    for (i, page) in f.pages.iter_mut().enumerate() {
        let y = PAGE_H - 40.0;
        page.line(LEFT, y - 12.0, RIGHT, y - 12.0, 0.4, MUTED);
        page.text(fonts, LEFT, y, 7.0, false, MUTED, Align::Left, &left);
        let num = format!("{} {} {} {}", l.page, i + 1, l.of, n);
        page.text(fonts, RIGHT, y, 7.0, false, MUTED, Align::Right, &num);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_format_per_language() {
        assert_eq!(format_amount("1234567.5", Lang::De, 2), "1.234.567,50");
        assert_eq!(format_amount("1234567.5", Lang::En, 2), "1,234,567.50");
        assert_eq!(format_amount("-0.125", Lang::En, 2), "-0.125");
        assert_eq!(format_amount("100", Lang::De, 0), "100");
        assert_eq!(format_amount("007.000", Lang::De, 2), "7,00");
        assert_eq!(format_amount("abc", Lang::De, 2), "abc");
        assert_eq!(format_amount("", Lang::De, 2), "");
    }

    #[test]
    fn epc_payload_needs_iban_and_euro() {
        let mut v = InvoiceView {
            number: "R-1".into(),
            currency: "EUR".into(),
            ..InvoiceView::default()
        };
        v.seller.name = "Muster GmbH".into();
        v.totals.due = "1190.00".into();
        assert_eq!(epc_payload(&v), None);
        v.payment.iban = "DE02 1203 0000 0000 2020 51".into();
        v.payment.means_code = "58".into();
        let p = epc_payload(&v).unwrap();
        assert_eq!(
            p,
            "BCD\n002\n1\nSCT\n\nMuster GmbH\nDE02120300000000202051\nEUR1190.00\n\n\nR-1"
        );
        v.currency = "USD".into();
        assert_eq!(epc_payload(&v), None);
    }
}
