//! Calculation per the EN 16931 rules (BR-CO-…, BR-S-08/09 and their
//! siblings for every VAT category).
//!
//! Amounts that the rules compare after `round(… * 100) div 100` are rounded
//! to two decimals half away from zero, which is what that expression does on
//! `xs:decimal`. Line net amounts are computed first ([`compute_lines`]), then
//! the document totals and VAT breakdown from them ([`compute_document`]).

use rust_decimal::Decimal;

use crate::codes::VatCategory;
use crate::error::Error;
use crate::model::{DocumentAllowanceCharge, Invoice, InvoiceLine, VatBreakdown};
use crate::types::{Amount, Percentage, round2};

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

fn mul(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_mul(b).ok_or(Error::Overflow(what))
}

fn div(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_div(b).ok_or(Error::Overflow(what))
}

fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_add(b).ok_or(Error::Overflow(what))
}

fn sub(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_sub(b).ok_or(Error::Overflow(what))
}

/// Whether a VAT category carries no VAT by definition (its tax amount is always zero).
fn zero_tax_category(category: &VatCategory) -> bool {
    matches!(
        category,
        VatCategory::ZeroRated
            | VatCategory::Exempt
            | VatCategory::ReverseCharge
            | VatCategory::IntraCommunity
            | VatCategory::Export
            | VatCategory::NotSubject
    )
}

/// Fills an allowance/charge amount from base and percentage when both are given (amount = base × percentage / 100).
fn percentage_amount(
    amount: &mut Amount,
    base: Option<Amount>,
    percentage: Option<Percentage>,
) -> Result<(), Error> {
    if let (Some(base), Some(pct)) = (base, percentage) {
        *amount = Amount(round2(div(
            mul(base.0, pct.0, "allowance")?,
            HUNDRED,
            "allowance",
        )?));
    }
    Ok(())
}

/// Computes one line's net amount (BT-131): quantity × (net price / base quantity) − allowances + charges, rounded to 2 places.
///
/// Allowance and charge amounts given with base and percentage are computed first.
/// When a gross price and a discount are both given, the net price becomes gross − discount.
///
/// # Errors
/// [`Error::Overflow`] when the figures leave the decimal range, or the base quantity is zero.
pub fn compute_line(line: &mut InvoiceLine) -> Result<(), Error> {
    if let (Some(gross), Some(discount)) = (line.price.gross_price, line.price.discount) {
        line.price.net_price.0 = sub(gross.0, discount.0, "net price")?;
    }
    let base_qty = line.price.base_quantity.map_or(Decimal::ONE, |q| q.0);
    if base_qty.is_zero() {
        return Err(Error::Overflow("the price base quantity (BT-149) is zero"));
    }
    let gross = mul(
        line.quantity.0,
        div(line.price.net_price.0, base_qty, "line net amount")?,
        "line net amount",
    )?;
    let mut net = round2(gross);
    for ac in &mut line.allowances {
        percentage_amount(&mut ac.amount, ac.base_amount, ac.percentage)?;
        net = sub(net, ac.amount.0, "line net amount")?;
    }
    for ac in &mut line.charges {
        percentage_amount(&mut ac.amount, ac.base_amount, ac.percentage)?;
        net = add(net, ac.amount.0, "line net amount")?;
    }
    line.net_amount = Amount(net);
    Ok(())
}

/// Computes every line's net amount, see [`compute_line`].
///
/// # Errors
/// As [`compute_line`].
pub fn compute_lines(invoice: &mut Invoice) -> Result<(), Error> {
    for line in &mut invoice.lines {
        compute_line(line)?;
    }
    Ok(())
}

fn sum_doc<'a>(
    mut items: impl Iterator<Item = &'a DocumentAllowanceCharge>,
) -> Result<Decimal, Error> {
    items.try_fold(Decimal::ZERO, |acc, ac| {
        add(acc, ac.amount.0, "document allowances")
    })
}

fn same_rate(a: Option<Percentage>, b: Option<Percentage>) -> bool {
    a.map(|p| p.0) == b.map(|p| p.0)
        || (a.is_none_or(|p| p.0.is_zero()) && b.is_none_or(|p| p.0.is_zero()))
}

/// Computes the VAT breakdown (BG-23) and the document totals (BT-106 … BT-115) from the line net amounts
/// and the document level allowances and charges.
///
/// One breakdown entry per VAT category and rate, in order of first use; exemption reasons (BT-120/121)
/// already present on an entry of the same category and rate are kept. The paid amount (BT-113) and the
/// rounding amount (BT-114) are inputs and are kept. BT-111 is not touched (see [`vat_in_accounting_currency`]).
///
/// # Errors
/// [`Error::Overflow`] when a sum leaves the decimal range.
pub fn compute_document(invoice: &mut Invoice) -> Result<(), Error> {
    for ac in invoice
        .allowances
        .iter_mut()
        .chain(invoice.charges.iter_mut())
    {
        percentage_amount(&mut ac.amount, ac.base_amount, ac.percentage)?;
    }
    // Group keys in order of first appearance.
    let mut keys: Vec<(VatCategory, Option<Percentage>)> = Vec::new();
    let mut push_key = |category: &VatCategory, rate: Option<Percentage>| {
        if !keys
            .iter()
            .any(|(c, r)| c == category && same_rate(*r, rate))
        {
            keys.push((category.clone(), rate));
        }
    };
    for line in &invoice.lines {
        push_key(&line.vat.category, line.vat.rate);
    }
    for ac in invoice.allowances.iter().chain(invoice.charges.iter()) {
        if let Some(category) = &ac.vat_category {
            push_key(category, ac.vat_rate);
        }
    }
    let mut breakdown = Vec::with_capacity(keys.len());
    for (category, rate) in keys {
        let mut taxable = Decimal::ZERO;
        for line in invoice
            .lines
            .iter()
            .filter(|l| l.vat.category == category && same_rate(l.vat.rate, rate))
        {
            taxable = add(taxable, line.net_amount.0, "VAT taxable amount")?;
        }
        let matches = |ac: &&DocumentAllowanceCharge| {
            ac.vat_category.as_ref() == Some(&category) && same_rate(ac.vat_rate, rate)
        };
        taxable = add(
            taxable,
            sum_doc(invoice.charges.iter().filter(matches))?,
            "VAT taxable amount",
        )?;
        taxable = sub(
            taxable,
            sum_doc(invoice.allowances.iter().filter(matches))?,
            "VAT taxable amount",
        )?;
        let tax = if zero_tax_category(&category) {
            Decimal::ZERO
        } else {
            let pct = rate.map_or(Decimal::ZERO, |r| r.0);
            round2(div(
                mul(taxable, pct, "VAT amount")?,
                HUNDRED,
                "VAT amount",
            )?)
        };
        let previous = invoice
            .vat_breakdown
            .iter()
            .find(|b| b.category == category && same_rate(b.rate, rate));
        breakdown.push(VatBreakdown {
            taxable_amount: Amount(round2(taxable)),
            tax_amount: Amount(tax),
            category,
            rate,
            exemption_reason: previous.and_then(|b| b.exemption_reason.clone()),
            exemption_reason_code: previous.and_then(|b| b.exemption_reason_code.clone()),
        });
    }
    invoice.vat_breakdown = breakdown;

    let line_total = invoice.lines.iter().try_fold(Decimal::ZERO, |acc, l| {
        add(acc, l.net_amount.0, "sum of line net amounts")
    })?;
    let allowance_total = sum_doc(invoice.allowances.iter())?;
    let charge_total = sum_doc(invoice.charges.iter())?;
    let without_vat = add(
        sub(line_total, allowance_total, "total without VAT")?,
        charge_total,
        "total without VAT",
    )?;
    let vat_total = invoice
        .vat_breakdown
        .iter()
        .try_fold(Decimal::ZERO, |acc, b| {
            add(acc, b.tax_amount.0, "total VAT")
        })?;
    let with_vat = add(without_vat, vat_total, "total with VAT")?;
    let paid = invoice.totals.paid.map_or(Decimal::ZERO, |a| a.0);
    let rounding = invoice.totals.rounding.map_or(Decimal::ZERO, |a| a.0);
    let due = add(sub(with_vat, paid, "amount due")?, rounding, "amount due")?;

    let totals = &mut invoice.totals;
    totals.line_net_total = Amount(round2(line_total));
    totals.allowance_total =
        (!invoice.allowances.is_empty()).then_some(Amount(round2(allowance_total)));
    totals.charge_total = (!invoice.charges.is_empty()).then_some(Amount(round2(charge_total)));
    totals.total_without_vat = Amount(round2(without_vat));
    totals.vat_total = Some(Amount(round2(vat_total)));
    totals.total_with_vat = Amount(round2(with_vat));
    totals.amount_due = Amount(round2(due));
    Ok(())
}

/// Computes lines, then the document ([`compute_lines`], [`compute_document`]).
///
/// # Errors
/// As those two.
pub fn compute(invoice: &mut Invoice) -> Result<(), Error> {
    compute_lines(invoice)?;
    compute_document(invoice)
}

/// Sets BT-111, the total VAT in the VAT accounting currency (BT-6), from BT-110 and an exchange rate
/// (units of accounting currency per unit of invoice currency), rounded to 2 places.
///
/// # Errors
/// [`Error::Overflow`] when the product leaves the decimal range.
pub fn vat_in_accounting_currency(invoice: &mut Invoice, rate: Decimal) -> Result<(), Error> {
    let vat = invoice.totals.vat_total.map_or(Decimal::ZERO, |a| a.0);
    invoice.totals.vat_total_accounting = Some(Amount(round2(mul(
        vat,
        rate,
        "VAT in accounting currency",
    )?)));
    Ok(())
}

impl Invoice {
    /// Computes line net amounts, the VAT breakdown and the totals in place (see [`compute`]).
    ///
    /// # Errors
    /// [`Error::Overflow`] when a figure leaves the decimal range.
    pub fn compute_totals(&mut self) -> Result<(), Error> {
        compute(self)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::codes::{CurrencyCode, InvoiceTypeCode, UnitCode};
    use crate::model::{LineAllowanceCharge, LineVat};
    use crate::types::{Date, Quantity, UnitPrice};

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn line(
        id: &str,
        qty: &str,
        price: &str,
        category: VatCategory,
        rate: Option<&str>,
    ) -> InvoiceLine {
        InvoiceLine::new(
            id,
            Quantity(d(qty)),
            UnitCode::piece(),
            UnitPrice(d(price)),
            LineVat {
                category,
                rate: rate.map(|r| Percentage(d(r))),
            },
            "item",
        )
    }

    fn invoice() -> Invoice {
        Invoice::new(
            "1",
            Date::from_ymd(2025, 1, 1).unwrap(),
            InvoiceTypeCode::Commercial,
            CurrencyCode::new("EUR"),
        )
    }

    #[test]
    fn line_net_uses_base_quantity_allowances_and_charges() {
        let mut l = line("1", "3", "10.005", VatCategory::Standard, Some("19"));
        l.price.base_quantity = Some(Quantity(d("2")));
        l.allowances.push(LineAllowanceCharge {
            amount: Amount(d("1.00")),
            ..Default::default()
        });
        l.charges.push(LineAllowanceCharge {
            base_amount: Some(Amount(d("10"))),
            percentage: Some(Percentage(d("5"))),
            ..Default::default()
        });
        compute_line(&mut l).unwrap();
        // 3 * 10.005 / 2 = 15.0075 -> 15.01; -1.00 + 0.50
        assert_eq!(l.net_amount.0, d("14.51"));
    }

    #[test]
    fn breakdown_groups_by_category_and_rate_and_totals_add_up() {
        let mut inv = invoice();
        inv.lines
            .push(line("1", "1", "100", VatCategory::Standard, Some("19")));
        inv.lines
            .push(line("2", "2", "10.10", VatCategory::Standard, Some("7")));
        inv.lines
            .push(line("3", "1", "50", VatCategory::Standard, Some("19")));
        inv.lines
            .push(line("4", "1", "5", VatCategory::Exempt, Some("0")));
        inv.allowances.push(DocumentAllowanceCharge {
            amount: Amount(d("10")),
            vat_category: Some(VatCategory::Standard),
            vat_rate: Some(Percentage(d("19"))),
            ..Default::default()
        });
        inv.totals.paid = Some(Amount(d("20")));
        inv.totals.rounding = Some(Amount(d("0.01")));
        inv.compute_totals().unwrap();
        assert_eq!(inv.vat_breakdown.len(), 3);
        assert_eq!(inv.vat_breakdown[0].taxable_amount.0, d("140"));
        assert_eq!(inv.vat_breakdown[0].tax_amount.0, d("26.60"));
        assert_eq!(inv.vat_breakdown[1].tax_amount.0, d("1.41")); // 20.20 * 7% = 1.414
        assert_eq!(inv.vat_breakdown[2].tax_amount.0, d("0"));
        assert_eq!(inv.totals.line_net_total.0, d("175.20"));
        assert_eq!(inv.totals.total_without_vat.0, d("165.20"));
        assert_eq!(inv.totals.vat_total.unwrap().0, d("28.01"));
        assert_eq!(inv.totals.total_with_vat.0, d("193.21"));
        assert_eq!(inv.totals.amount_due.0, d("173.22"));
        assert_eq!(inv.totals.allowance_total.unwrap().0, d("10"));
        assert!(inv.totals.charge_total.is_none());
    }

    #[test]
    fn vat_rounds_half_away_from_zero_also_for_credits() {
        let mut inv = invoice();
        inv.lines
            .push(line("1", "-1", "0.50", VatCategory::Standard, Some("5")));
        inv.compute_totals().unwrap();
        // -0.50 * 5% = -0.025 -> -0.03
        assert_eq!(inv.vat_breakdown[0].tax_amount.0, d("-0.03"));
        vat_in_accounting_currency(&mut inv, d("2")).unwrap();
        assert_eq!(inv.totals.vat_total_accounting.unwrap().0, d("-0.06"));
    }

    #[test]
    fn zero_base_quantity_is_an_error_not_a_panic() {
        let mut l = line("1", "1", "1", VatCategory::Standard, Some("19"));
        l.price.base_quantity = Some(Quantity(Decimal::ZERO));
        assert!(compute_line(&mut l).is_err());
    }
}
