//! UN/CEFACT Cross Industry Invoice D16B: reader and writer.
//!
//! Mapping per EN 16931-3-3 (CII syntax binding) as used by XRechnung 3.0 and
//! Factur-X 1.09 / ZUGFeRD 2.x. Element order follows the D16B schemas.

use roxmltree::{Document, Node};

use crate::codes::{
    AllowanceReasonCode, ChargeReasonCode, CountryCode, CurrencyCode, InvoiceTypeCode,
    PaymentMeansCode, UnitCode, VatCategory, VatExemptionCode, VatPointDateCode,
};
use crate::error::Error;
use crate::model::{
    Address, Attachment, Buyer, Classification, Contact, CreditTransfer, Delivery, DirectDebit,
    DocumentAllowanceCharge, Invoice, InvoiceLine, Item, ItemAttribute, LineAllowanceCharge,
    LineVat, Note, Payee, PaymentCard, PaymentInstructions, Period, PrecedingInvoice, PriceDetails,
    ReasonCode, Seller, SupportingDocument, TaxRepresentative, VatBreakdown,
};
use crate::syntax::xml::{Reader, Writer};
use crate::syntax::{CII_RSM_NS, ReadOutcome, Syntax};
use crate::types::{Amount, Date, Identifier, Percentage, Quantity, UnitPrice};

const RSM: &str = CII_RSM_NS;
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
const PREFIXES: &[(&str, &str)] = &[("rsm", RSM), ("ram", RAM), ("qdt", QDT), ("udt", UDT)];

type R<'a, 'i> = Reader<'a, 'i>;
type N<'a, 'i> = Node<'a, 'i>;

/// Reads a CII document already parsed (root `rsm:CrossIndustryInvoice`).
pub(crate) fn read_document(doc: &Document<'_>) -> Result<ReadOutcome, Error> {
    let r = Reader::new(doc, PREFIXES);
    let invoice = read_invoice(&r)?;
    Ok(ReadOutcome {
        invoice,
        syntax: Syntax::Cii,
        warnings: r.finish(),
    })
}

/// Reads a CII CrossIndustryInvoice from bytes.
///
/// # Errors
/// As [`crate::syntax::read`]; also [`Error::UnknownDocument`] for a UBL document.
pub fn read(bytes: &[u8]) -> Result<ReadOutcome, Error> {
    let doc = crate::syntax::xml::parse(bytes)?;
    let root = doc.root_element();
    match (root.tag_name().namespace(), root.tag_name().name()) {
        (Some(RSM), "CrossIndustryInvoice") => read_document(&doc),
        (ns, name) => Err(Error::UnknownDocument {
            found: format!("{{{}}}{name}", ns.unwrap_or("")),
        }),
    }
}

fn ram<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<N<'a, 'i>> {
    r.child(n, RAM, name)
}

fn text<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<String> {
    r.text_of(n, RAM, name)
}

fn trimmed<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<String> {
    text(r, n, name).map(|t| t.trim().to_owned())
}

/// Reads a `udt:DateTimeString` (or `qdt:DateTimeString` / `udt:DateString`) under `name`.
fn date_under<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Result<Option<Date>, Error> {
    let Some(holder) = ram(r, n, name) else {
        return Ok(None);
    };
    let inner = r
        .child(holder, UDT, "DateTimeString")
        .or_else(|| r.child(holder, QDT, "DateTimeString"))
        .or_else(|| r.child(holder, UDT, "DateString"));
    match inner {
        Some(node) => r.date(node).map(Some),
        None => Ok(None),
    }
}

fn opt_amount<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Result<Option<Amount>, Error> {
    ram(r, n, name).map(|c| r.amount(c)).transpose()
}

fn opt_percent<'a, 'i>(
    r: &R<'a, 'i>,
    n: N<'a, 'i>,
    name: &str,
) -> Result<Option<Percentage>, Error> {
    ram(r, n, name).map(|c| r.percent(c)).transpose()
}

fn req_amount<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Result<Amount, Error> {
    match ram(r, n, name) {
        Some(c) => r.amount(c),
        None => {
            r.warn(n, format!("ram:{name} is missing; read as 0"));
            Ok(Amount::ZERO)
        }
    }
}

fn read_invoice(r: &R<'_, '_>) -> Result<Invoice, Error> {
    let root = r.root();
    let missing = |term: &'static str, path: &str| Error::Missing {
        term,
        path: path.to_owned(),
    };
    let context = r.child(root, RSM, "ExchangedDocumentContext");
    let doc = r.child(root, RSM, "ExchangedDocument").ok_or_else(|| {
        missing(
            "BT-1 Invoice number",
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument",
        )
    })?;
    let number = text(r, doc, "ID").ok_or_else(|| {
        missing(
            "BT-1 Invoice number",
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID",
        )
    })?;
    let type_code = InvoiceTypeCode::from_code(&text(r, doc, "TypeCode").unwrap_or_default());
    let issue_date = date_under(r, doc, "IssueDateTime")?.ok_or_else(|| {
        missing(
            "BT-2 Invoice issue date",
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime",
        )
    })?;
    let tx = r
        .child(root, RSM, "SupplyChainTradeTransaction")
        .ok_or_else(|| {
            missing(
                "the trade transaction",
                "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction",
            )
        })?;
    let settlement = ram(r, tx, "ApplicableHeaderTradeSettlement");
    let currency = settlement
        .and_then(|s| trimmed(r, s, "InvoiceCurrencyCode"))
        .unwrap_or_default();
    let mut inv = Invoice::new(number, issue_date, type_code, CurrencyCode::new(currency));

    if let Some(ctx) = context {
        inv.process.business_process =
            ram(r, ctx, "BusinessProcessSpecifiedDocumentContextParameter")
                .and_then(|p| text(r, p, "ID"));
        inv.process.specification = ram(r, ctx, "GuidelineSpecifiedDocumentContextParameter")
            .and_then(|p| text(r, p, "ID"))
            .unwrap_or_default();
    }
    for note in r.children(doc, RAM, "IncludedNote") {
        let contents: Vec<String> = r
            .children(note, RAM, "Content")
            .into_iter()
            .map(|c| r.text(c))
            .collect();
        inv.notes.push(Note {
            subject_code: trimmed(r, note, "SubjectCode"),
            text: contents.join("\n"),
        });
    }
    for line in r.children(tx, RAM, "IncludedSupplyChainTradeLineItem") {
        inv.lines.push(read_line(r, line)?);
    }
    if let Some(agreement) = ram(r, tx, "ApplicableHeaderTradeAgreement") {
        read_agreement(r, agreement, &mut inv)?;
    }
    if let Some(delivery) = ram(r, tx, "ApplicableHeaderTradeDelivery") {
        read_delivery(r, delivery, &mut inv)?;
    }
    if let Some(s) = settlement {
        read_settlement(r, s, &mut inv)?;
    }
    Ok(inv)
}

fn read_address(r: &R<'_, '_>, a: N<'_, '_>) -> Address {
    Address {
        post_code: text(r, a, "PostcodeCode"),
        line1: text(r, a, "LineOne"),
        line2: text(r, a, "LineTwo"),
        line3: text(r, a, "LineThree"),
        city: text(r, a, "CityName"),
        country: CountryCode::new(trimmed(r, a, "CountryID").unwrap_or_default()),
        subdivision: text(r, a, "CountrySubDivisionName"),
    }
}

fn read_contact(r: &R<'_, '_>, c: N<'_, '_>) -> Contact {
    let person = text(r, c, "PersonName");
    let department = text(r, c, "DepartmentName");
    if person.is_some() && department.is_some() {
        r.warn(
            c,
            "both a person and a department name; EN 16931 keeps the person (BT-41/56)",
        );
    }
    Contact {
        name: person.or(department),
        phone: ram(r, c, "TelephoneUniversalCommunication")
            .and_then(|t| text(r, t, "CompleteNumber")),
        email: ram(r, c, "EmailURIUniversalCommunication").and_then(|t| text(r, t, "URIID")),
    }
}

/// Party identifiers: `ram:ID` (no scheme) then `ram:GlobalID` (with scheme).
fn read_party_ids(r: &R<'_, '_>, party: N<'_, '_>) -> Vec<Identifier> {
    let mut ids: Vec<Identifier> = r
        .children(party, RAM, "ID")
        .into_iter()
        .map(|n| Identifier::new(r.text(n)))
        .collect();
    ids.extend(
        r.children(party, RAM, "GlobalID")
            .into_iter()
            .map(|n| r.identifier(n, "schemeID")),
    );
    ids
}

fn read_tax_registrations(r: &R<'_, '_>, party: N<'_, '_>) -> (Option<String>, Option<String>) {
    let (mut vat, mut fc) = (None, None);
    for reg in r.children(party, RAM, "SpecifiedTaxRegistration") {
        if let Some(id) = ram(r, reg, "ID") {
            match r.attr(id, "schemeID").as_deref().map(str::trim) {
                Some("VA") if vat.is_none() => vat = Some(r.text(id)),
                Some("FC") if fc.is_none() => fc = Some(r.text(id)),
                _ => r.warn(reg, "a tax registration that EN 16931 cannot hold (a second one, or scheme not VA/FC)"),
            }
        }
    }
    (vat, fc)
}

fn read_uri(r: &R<'_, '_>, party: N<'_, '_>) -> Option<Identifier> {
    ram(r, party, "URIUniversalCommunication")
        .and_then(|u| ram(r, u, "URIID"))
        .map(|id| r.identifier(id, "schemeID"))
}

fn read_seller(r: &R<'_, '_>, p: N<'_, '_>) -> Seller {
    let mut s = Seller {
        identifiers: read_party_ids(r, p),
        name: text(r, p, "Name").unwrap_or_default(),
        ..Seller::default()
    };
    s.additional_legal_info = text(r, p, "Description");
    if let Some(org) = ram(r, p, "SpecifiedLegalOrganization") {
        s.legal_registration = ram(r, org, "ID").map(|id| r.identifier(id, "schemeID"));
        s.trading_name = text(r, org, "TradingBusinessName");
    }
    s.contact = ram(r, p, "DefinedTradeContact").map(|c| read_contact(r, c));
    s.address = ram(r, p, "PostalTradeAddress")
        .map(|a| read_address(r, a))
        .unwrap_or_default();
    s.electronic_address = read_uri(r, p);
    (s.vat_id, s.tax_registration_id) = read_tax_registrations(r, p);
    s
}

fn read_buyer(r: &R<'_, '_>, p: N<'_, '_>) -> Buyer {
    let mut ids = read_party_ids(r, p);
    if ids.len() > 1 {
        r.warn(
            p,
            "more than one buyer identifier; EN 16931 holds one (BT-46)",
        );
    }
    let mut b = Buyer {
        identifier: (!ids.is_empty()).then(|| ids.remove(0)),
        name: text(r, p, "Name").unwrap_or_default(),
        ..Buyer::default()
    };
    if let Some(org) = ram(r, p, "SpecifiedLegalOrganization") {
        b.legal_registration = ram(r, org, "ID").map(|id| r.identifier(id, "schemeID"));
        b.trading_name = text(r, org, "TradingBusinessName");
    }
    b.contact = ram(r, p, "DefinedTradeContact").map(|c| read_contact(r, c));
    b.address = ram(r, p, "PostalTradeAddress")
        .map(|a| read_address(r, a))
        .unwrap_or_default();
    b.electronic_address = read_uri(r, p);
    (b.vat_id, _) = read_tax_registrations(r, p);
    b
}

fn read_agreement(r: &R<'_, '_>, a: N<'_, '_>, inv: &mut Invoice) -> Result<(), Error> {
    inv.buyer_reference = text(r, a, "BuyerReference");
    if let Some(p) = ram(r, a, "SellerTradeParty") {
        inv.seller = read_seller(r, p);
    }
    if let Some(p) = ram(r, a, "BuyerTradeParty") {
        inv.buyer = read_buyer(r, p);
    }
    if let Some(p) = ram(r, a, "SellerTaxRepresentativeTradeParty") {
        let (vat, _) = read_tax_registrations(r, p);
        inv.tax_representative = Some(TaxRepresentative {
            name: text(r, p, "Name").unwrap_or_default(),
            vat_id: vat.unwrap_or_default(),
            address: ram(r, p, "PostalTradeAddress")
                .map(|x| read_address(r, x))
                .unwrap_or_default(),
        });
    }
    inv.sales_order_reference =
        ram(r, a, "SellerOrderReferencedDocument").and_then(|d| text(r, d, "IssuerAssignedID"));
    inv.purchase_order_reference =
        ram(r, a, "BuyerOrderReferencedDocument").and_then(|d| text(r, d, "IssuerAssignedID"));
    inv.contract_reference =
        ram(r, a, "ContractReferencedDocument").and_then(|d| text(r, d, "IssuerAssignedID"));
    for d in r.children(a, RAM, "AdditionalReferencedDocument") {
        match trimmed(r, d, "TypeCode").as_deref() {
            Some("50") => inv.tender_or_lot_reference = text(r, d, "IssuerAssignedID"),
            Some("130") => {
                inv.invoiced_object_identifier = Some(Identifier {
                    value: text(r, d, "IssuerAssignedID").unwrap_or_default(),
                    scheme: text(r, d, "ReferenceTypeCode"),
                });
            }
            _ => {
                let mut sd = SupportingDocument {
                    reference: text(r, d, "IssuerAssignedID").unwrap_or_default(),
                    external_location: text(r, d, "URIID"),
                    description: text(r, d, "Name"),
                    attachment: None,
                };
                if let Some(obj) = ram(r, d, "AttachmentBinaryObject") {
                    sd.attachment = Some(Attachment {
                        content_base64: r.text(obj),
                        mime_code: r.attr(obj, "mimeCode").unwrap_or_default(),
                        filename: r.attr(obj, "filename").unwrap_or_default(),
                    });
                }
                inv.supporting_documents.push(sd);
            }
        }
    }
    if let Some(project) = ram(r, a, "SpecifiedProcuringProject") {
        let _ = ram(r, project, "Name");
        inv.project_reference = text(r, project, "ID");
    }
    Ok(())
}

fn read_delivery(r: &R<'_, '_>, d: N<'_, '_>, inv: &mut Invoice) -> Result<(), Error> {
    let mut out = Delivery::default();
    if let Some(p) = ram(r, d, "ShipToTradeParty") {
        let mut ids = read_party_ids(r, p);
        out.location_id = (!ids.is_empty()).then(|| ids.remove(0));
        out.party_name = text(r, p, "Name");
        out.address = ram(r, p, "PostalTradeAddress").map(|a| read_address(r, a));
    }
    if let Some(ev) = ram(r, d, "ActualDeliverySupplyChainEvent") {
        out.actual_delivery_date = date_under(r, ev, "OccurrenceDateTime")?;
    }
    inv.despatch_advice_reference =
        ram(r, d, "DespatchAdviceReferencedDocument").and_then(|x| text(r, x, "IssuerAssignedID"));
    inv.receiving_advice_reference =
        ram(r, d, "ReceivingAdviceReferencedDocument").and_then(|x| text(r, x, "IssuerAssignedID"));
    if out != Delivery::default() {
        inv.delivery = Some(out);
    }
    Ok(())
}

fn reason_code(is_charge: bool, code: String) -> ReasonCode {
    if is_charge {
        ReasonCode::Charge(ChargeReasonCode::new(code))
    } else {
        ReasonCode::Allowance(AllowanceReasonCode::new(code))
    }
}

fn charge_indicator(r: &R<'_, '_>, ac: N<'_, '_>) -> Result<bool, Error> {
    match ram(r, ac, "ChargeIndicator").and_then(|c| r.child(c, UDT, "Indicator")) {
        Some(i) => r.boolean(i),
        None => Ok(false),
    }
}

fn read_settlement(r: &R<'_, '_>, s: N<'_, '_>, inv: &mut Invoice) -> Result<(), Error> {
    let creditor_id = text(r, s, "CreditorReferenceID");
    let remittance = text(r, s, "PaymentReference");
    inv.tax_currency = trimmed(r, s, "TaxCurrencyCode").map(CurrencyCode::new);
    let _ = ram(r, s, "InvoiceCurrencyCode");
    if let Some(p) = ram(r, s, "PayeeTradeParty") {
        let mut ids = read_party_ids(r, p);
        inv.payee = Some(Payee {
            identifier: (!ids.is_empty()).then(|| ids.remove(0)),
            name: text(r, p, "Name").unwrap_or_default(),
            legal_registration: ram(r, p, "SpecifiedLegalOrganization")
                .and_then(|o| ram(r, o, "ID"))
                .map(|id| r.identifier(id, "schemeID")),
        });
    }
    let means = r.children(s, RAM, "SpecifiedTradeSettlementPaymentMeans");
    let mut pi: Option<PaymentInstructions> = None;
    for (index, m) in means.into_iter().enumerate() {
        let code = trimmed(r, m, "TypeCode").unwrap_or_default();
        let info = text(r, m, "Information");
        let pi = pi.get_or_insert_with(|| PaymentInstructions {
            means_code: PaymentMeansCode::new(code.clone()),
            means_text: info.clone(),
            ..PaymentInstructions::default()
        });
        if index > 0 && code != pi.means_code.code() {
            r.warn(
                m,
                format!(
                    "payment means code {code} differs from the first ({}); EN 16931 holds one",
                    pi.means_code
                ),
            );
        }
        if let Some(card) = ram(r, m, "ApplicableTradeSettlementFinancialCard") {
            pi.card = Some(PaymentCard {
                primary_account_number: text(r, card, "ID").unwrap_or_default(),
                holder_name: text(r, card, "CardholderName"),
            });
        }
        if let Some(debtor) = ram(r, m, "PayerPartyDebtorFinancialAccount") {
            pi.direct_debit
                .get_or_insert_with(DirectDebit::default)
                .debited_account_id = text(r, debtor, "IBANID");
        }
        if let Some(acct) = ram(r, m, "PayeePartyCreditorFinancialAccount") {
            let iban = text(r, acct, "IBANID");
            let proprietary = text(r, acct, "ProprietaryID");
            pi.credit_transfers.push(CreditTransfer {
                account_id: iban.or(proprietary).unwrap_or_default(),
                account_name: text(r, acct, "AccountName"),
                service_provider_id: ram(r, m, "PayeeSpecifiedCreditorFinancialInstitution")
                    .and_then(|b| text(r, b, "BICID")),
            });
        } else if let Some(b) = ram(r, m, "PayeeSpecifiedCreditorFinancialInstitution") {
            let _ = ram(r, b, "BICID");
            r.warn(b, "a payment service provider without an account; EN 16931 attaches BT-86 to an account (BG-17)");
        }
    }
    let mut breakdown_tax_point = None;
    let mut breakdown_code = None;
    for t in r.children(s, RAM, "ApplicableTradeTax") {
        let _ = ram(r, t, "TypeCode");
        if breakdown_tax_point.is_none() {
            breakdown_tax_point = date_under(r, t, "TaxPointDate")?;
        } else {
            let _ = date_under(r, t, "TaxPointDate")?;
        }
        if let Some(code) = trimmed(r, t, "DueDateTypeCode") {
            breakdown_code.get_or_insert(code);
        }
        inv.vat_breakdown.push(VatBreakdown {
            tax_amount: req_amount(r, t, "CalculatedAmount")?,
            exemption_reason: text(r, t, "ExemptionReason"),
            taxable_amount: req_amount(r, t, "BasisAmount")?,
            category: VatCategory::from_code(&trimmed(r, t, "CategoryCode").unwrap_or_default()),
            exemption_reason_code: trimmed(r, t, "ExemptionReasonCode").map(VatExemptionCode::new),
            rate: opt_percent(r, t, "RateApplicablePercent")?,
        });
    }
    inv.tax_point_date = breakdown_tax_point;
    inv.tax_point_date_code = breakdown_code.map(|c| VatPointDateCode::from_cii_code(&c));
    if let Some(p) = ram(r, s, "BillingSpecifiedPeriod") {
        let period = Period {
            start: date_under(r, p, "StartDateTime")?,
            end: date_under(r, p, "EndDateTime")?,
        };
        if period != Period::default() {
            inv.invoicing_period = Some(period);
        }
    }
    for ac in r.children(s, RAM, "SpecifiedTradeAllowanceCharge") {
        let is_charge = charge_indicator(r, ac)?;
        let tax = ram(r, ac, "CategoryTradeTax");
        if let Some(tax) = tax {
            let _ = ram(r, tax, "TypeCode");
        }
        let item = DocumentAllowanceCharge {
            percentage: opt_percent(r, ac, "CalculationPercent")?,
            base_amount: opt_amount(r, ac, "BasisAmount")?,
            amount: req_amount(r, ac, "ActualAmount")?,
            reason_code: trimmed(r, ac, "ReasonCode").map(|c| reason_code(is_charge, c)),
            reason: text(r, ac, "Reason"),
            vat_category: tax
                .and_then(|t| trimmed(r, t, "CategoryCode"))
                .map(|c| VatCategory::from_code(&c)),
            vat_rate: tax
                .map(|t| opt_percent(r, t, "RateApplicablePercent"))
                .transpose()?
                .flatten(),
        };
        if is_charge {
            inv.charges.push(item)
        } else {
            inv.allowances.push(item)
        }
    }
    let mut terms = Vec::new();
    let mut mandate = None;
    for t in r.children(s, RAM, "SpecifiedTradePaymentTerms") {
        terms.extend(
            r.children(t, RAM, "Description")
                .into_iter()
                .map(|d| r.text(d)),
        );
        if let Some(due) = date_under(r, t, "DueDateDateTime")? {
            inv.due_date.get_or_insert(due);
        }
        if let Some(m) = text(r, t, "DirectDebitMandateID") {
            mandate.get_or_insert(m);
        }
    }
    if !terms.is_empty() {
        inv.payment_terms = Some(terms.join("\n"));
    }
    if let Some(m) = ram(r, s, "SpecifiedTradeSettlementHeaderMonetarySummation") {
        let t = &mut inv.totals;
        t.line_net_total = req_amount(r, m, "LineTotalAmount")?;
        t.charge_total = opt_amount(r, m, "ChargeTotalAmount")?;
        t.allowance_total = opt_amount(r, m, "AllowanceTotalAmount")?;
        t.total_without_vat = req_amount(r, m, "TaxBasisTotalAmount")?;
        for tta in r.children(m, RAM, "TaxTotalAmount") {
            let amount = r.amount(tta)?;
            let cur = r.attr(tta, "currencyID").map(|c| c.trim().to_owned());
            let is_accounting = inv
                .tax_currency
                .as_ref()
                .is_some_and(|tc| Some(tc.code()) == cur.as_deref())
                && inv.tax_currency.as_ref() != Some(&inv.currency);
            if is_accounting {
                t.vat_total_accounting = Some(amount);
            } else {
                t.vat_total = Some(amount);
            }
        }
        t.rounding = opt_amount(r, m, "RoundingAmount")?;
        t.total_with_vat = req_amount(r, m, "GrandTotalAmount")?;
        t.paid = opt_amount(r, m, "TotalPrepaidAmount")?;
        t.amount_due = req_amount(r, m, "DuePayableAmount")?;
    }
    for d in r.children(s, RAM, "InvoiceReferencedDocument") {
        inv.preceding_invoices.push(PrecedingInvoice {
            number: text(r, d, "IssuerAssignedID").unwrap_or_default(),
            issue_date: date_under(r, d, "FormattedIssueDateTime")?,
        });
    }
    inv.buyer_accounting_reference =
        ram(r, s, "ReceivableSpecifiedTradeAccountingAccount").and_then(|a| text(r, a, "ID"));
    if creditor_id.is_some() || mandate.is_some() || remittance.is_some() {
        let pi = pi.get_or_insert_with(PaymentInstructions::default);
        pi.remittance_information = remittance;
        if creditor_id.is_some() || mandate.is_some() {
            let dd = pi.direct_debit.get_or_insert_with(DirectDebit::default);
            dd.creditor_id = creditor_id;
            dd.mandate_reference = mandate;
        }
    }
    inv.payment_instructions = pi;
    Ok(())
}

fn read_line(r: &R<'_, '_>, line: N<'_, '_>) -> Result<InvoiceLine, Error> {
    let mut out = InvoiceLine {
        id: String::new(),
        note: None,
        object_identifier: None,
        quantity: Quantity::ZERO,
        unit: UnitCode::default(),
        net_amount: Amount::ZERO,
        order_line_reference: None,
        buyer_accounting_reference: None,
        period: None,
        allowances: Vec::new(),
        charges: Vec::new(),
        price: PriceDetails::default(),
        vat: LineVat {
            category: VatCategory::Other(String::new()),
            rate: None,
        },
        item: Item::default(),
    };
    if let Some(doc) = ram(r, line, "AssociatedDocumentLineDocument") {
        out.id = text(r, doc, "LineID").unwrap_or_default();
        out.note = ram(r, doc, "IncludedNote").and_then(|n| text(r, n, "Content"));
    }
    if let Some(p) = ram(r, line, "SpecifiedTradeProduct") {
        out.item = Item {
            standard_id: ram(r, p, "GlobalID").map(|g| r.identifier(g, "schemeID")),
            seller_id: text(r, p, "SellerAssignedID"),
            buyer_id: text(r, p, "BuyerAssignedID"),
            name: text(r, p, "Name").unwrap_or_default(),
            description: text(r, p, "Description"),
            attributes: r
                .children(p, RAM, "ApplicableProductCharacteristic")
                .into_iter()
                .map(|c| ItemAttribute {
                    name: text(r, c, "Description").unwrap_or_default(),
                    value: text(r, c, "Value").unwrap_or_default(),
                })
                .collect(),
            classifications: r
                .children(p, RAM, "DesignatedProductClassification")
                .into_iter()
                .filter_map(|c| ram(r, c, "ClassCode"))
                .map(|code| Classification {
                    code: r.text(code),
                    scheme: r.attr(code, "listID"),
                    scheme_version: r.attr(code, "listVersionID"),
                })
                .collect(),
            origin_country: ram(r, p, "OriginTradeCountry")
                .and_then(|c| trimmed(r, c, "ID"))
                .map(CountryCode::new),
        };
    }
    if let Some(a) = ram(r, line, "SpecifiedLineTradeAgreement") {
        out.order_line_reference =
            ram(r, a, "BuyerOrderReferencedDocument").and_then(|d| text(r, d, "LineID"));
        let mut gross_base = None;
        if let Some(g) = ram(r, a, "GrossPriceProductTradePrice") {
            out.price.gross_price = ram(r, g, "ChargeAmount").map(|c| r.price(c)).transpose()?;
            if let Some(bq) = ram(r, g, "BasisQuantity") {
                gross_base = Some((r.quantity(bq)?, r.attr(bq, "unitCode")));
            }
            if let Some(ac) = ram(r, g, "AppliedTradeAllowanceCharge") {
                let _ = ram(r, ac, "ChargeIndicator").map(|c| r.child(c, UDT, "Indicator"));
                out.price.discount = ram(r, ac, "ActualAmount")
                    .map(|c| r.price(c))
                    .transpose()?
                    .filter(|d| !d.0.is_zero());
            }
        }
        if let Some(n) = ram(r, a, "NetPriceProductTradePrice") {
            out.price.net_price = ram(r, n, "ChargeAmount")
                .map(|c| r.price(c))
                .transpose()?
                .unwrap_or_default();
            if let Some(bq) = ram(r, n, "BasisQuantity") {
                gross_base = Some((r.quantity(bq)?, r.attr(bq, "unitCode")));
            }
        }
        if let Some((q, unit)) = gross_base {
            out.price.base_quantity = Some(q);
            out.price.base_quantity_unit = unit.map(|u| UnitCode::new(u.trim()));
        }
    }
    if let Some(d) = ram(r, line, "SpecifiedLineTradeDelivery")
        && let Some(q) = ram(r, d, "BilledQuantity")
    {
        out.quantity = r.quantity(q)?;
        out.unit = UnitCode::new(r.attr(q, "unitCode").unwrap_or_default().trim());
    }
    if let Some(s) = ram(r, line, "SpecifiedLineTradeSettlement") {
        if let Some(t) = ram(r, s, "ApplicableTradeTax") {
            let _ = ram(r, t, "TypeCode");
            out.vat = LineVat {
                category: VatCategory::from_code(
                    &trimmed(r, t, "CategoryCode").unwrap_or_default(),
                ),
                rate: opt_percent(r, t, "RateApplicablePercent")?,
            };
        }
        if let Some(p) = ram(r, s, "BillingSpecifiedPeriod") {
            let period = Period {
                start: date_under(r, p, "StartDateTime")?,
                end: date_under(r, p, "EndDateTime")?,
            };
            if period != Period::default() {
                out.period = Some(period);
            }
        }
        for ac in r.children(s, RAM, "SpecifiedTradeAllowanceCharge") {
            let is_charge = charge_indicator(r, ac)?;
            let item = LineAllowanceCharge {
                percentage: opt_percent(r, ac, "CalculationPercent")?,
                base_amount: opt_amount(r, ac, "BasisAmount")?,
                amount: req_amount(r, ac, "ActualAmount")?,
                reason_code: trimmed(r, ac, "ReasonCode").map(|c| reason_code(is_charge, c)),
                reason: text(r, ac, "Reason"),
            };
            if is_charge {
                out.charges.push(item)
            } else {
                out.allowances.push(item)
            }
        }
        if let Some(m) = ram(r, s, "SpecifiedTradeSettlementLineMonetarySummation") {
            out.net_amount = req_amount(r, m, "LineTotalAmount")?;
        }
        if let Some(d) = ram(r, s, "AdditionalReferencedDocument") {
            let _ = ram(r, d, "TypeCode");
            out.object_identifier = Some(Identifier {
                value: text(r, d, "IssuerAssignedID").unwrap_or_default(),
                scheme: text(r, d, "ReferenceTypeCode"),
            });
        }
        out.buyer_accounting_reference =
            ram(r, s, "ReceivableSpecifiedTradeAccountingAccount").and_then(|a| text(r, a, "ID"));
    }
    Ok(out)
}

// ---------------------------------------------------------------- writer

/// Writes an invoice as CII D16B.
///
/// # Errors
/// [`Error::Unsupported`] when the invoice holds more than one preceding invoice reference (BG-3):
/// D16B allows one `ram:InvoiceReferencedDocument`.
pub fn write(inv: &Invoice) -> Result<String, Error> {
    // A reduced Factur-X profile in BT-24 restricts what this writer may emit: check it too.
    let own = crate::spec::Specification::from_identifier(&inv.process.specification);
    let reduced = matches!(
        own,
        crate::spec::Specification::FacturXMinimum
            | crate::spec::Specification::FacturXBasicWl
            | crate::spec::Specification::FacturXBasic
    );
    let problems = crate::spec::obstacles(
        inv,
        &crate::spec::Target {
            syntax: Syntax::Cii,
            specification: reduced.then_some(own),
        },
    );
    if !problems.is_empty() {
        return Err(Error::Unsupported {
            target: "CII D16B".to_owned(),
            reason: problems.join("; "),
        });
    }
    // Factur-X MINIMUM has no line total and no VAT breakdown elements (obstacles() made sure the
    // invoice carries nothing else that profile lacks).
    let minimum = crate::spec::Specification::from_identifier(&inv.process.specification)
        == crate::spec::Specification::FacturXMinimum;
    let mut w = Writer::new();
    w.start("rsm:CrossIndustryInvoice")
        .attr("xmlns:rsm", RSM)
        .attr("xmlns:qdt", QDT)
        .attr("xmlns:ram", RAM)
        .attr("xmlns:udt", UDT);
    w.start("rsm:ExchangedDocumentContext");
    if let Some(bp) = &inv.process.business_process {
        w.start("ram:BusinessProcessSpecifiedDocumentContextParameter");
        w.leaf("ram:ID", bp);
        w.end();
    }
    w.start("ram:GuidelineSpecifiedDocumentContextParameter");
    w.leaf("ram:ID", &inv.process.specification);
    w.end();
    w.end();

    w.start("rsm:ExchangedDocument");
    w.leaf("ram:ID", &inv.number);
    w.leaf("ram:TypeCode", inv.type_code.code());
    date_time(&mut w, "ram:IssueDateTime", inv.issue_date);
    for note in &inv.notes {
        w.start("ram:IncludedNote");
        w.leaf("ram:Content", &note.text);
        w.opt_leaf("ram:SubjectCode", note.subject_code.as_deref());
        w.end();
    }
    w.end();

    w.start("rsm:SupplyChainTradeTransaction");
    for line in &inv.lines {
        write_line(&mut w, line);
    }
    write_agreement(&mut w, inv);
    write_delivery(&mut w, inv);
    write_settlement(&mut w, inv, minimum);
    w.end();
    Ok(w.finish())
}

fn date_time(w: &mut Writer, name: &'static str, date: Date) {
    w.start(name);
    w.start("udt:DateTimeString")
        .attr("format", "102")
        .text_end(&date.to_102());
    w.end();
}

fn opt_date_time(w: &mut Writer, name: &'static str, date: Option<Date>) {
    if let Some(date) = date {
        date_time(w, name, date);
    }
}

fn write_period(w: &mut Writer, p: &Period) {
    w.start("ram:BillingSpecifiedPeriod");
    opt_date_time(w, "ram:StartDateTime", p.start);
    opt_date_time(w, "ram:EndDateTime", p.end);
    w.end();
}

fn write_line(w: &mut Writer, line: &InvoiceLine) {
    w.start("ram:IncludedSupplyChainTradeLineItem");
    w.start("ram:AssociatedDocumentLineDocument");
    w.leaf("ram:LineID", &line.id);
    if let Some(note) = &line.note {
        w.start("ram:IncludedNote");
        w.leaf("ram:Content", note);
        w.end();
    }
    w.end();
    let item = &line.item;
    w.start("ram:SpecifiedTradeProduct");
    if let Some(id) = &item.standard_id {
        w.start("ram:GlobalID")
            .opt_attr("schemeID", id.scheme.as_deref())
            .text_end(&id.value);
    }
    w.opt_leaf("ram:SellerAssignedID", item.seller_id.as_deref());
    w.opt_leaf("ram:BuyerAssignedID", item.buyer_id.as_deref());
    w.leaf("ram:Name", &item.name);
    w.opt_leaf("ram:Description", item.description.as_deref());
    for a in &item.attributes {
        w.start("ram:ApplicableProductCharacteristic");
        w.leaf("ram:Description", &a.name);
        w.leaf("ram:Value", &a.value);
        w.end();
    }
    for c in &item.classifications {
        w.start("ram:DesignatedProductClassification");
        w.start("ram:ClassCode")
            .opt_attr("listID", c.scheme.as_deref())
            .opt_attr("listVersionID", c.scheme_version.as_deref())
            .text_end(&c.code);
        w.end();
    }
    if let Some(country) = &item.origin_country {
        w.start("ram:OriginTradeCountry");
        w.leaf("ram:ID", country.code());
        w.end();
    }
    w.end();
    let p = &line.price;
    w.start("ram:SpecifiedLineTradeAgreement");
    if let Some(olr) = &line.order_line_reference {
        w.start("ram:BuyerOrderReferencedDocument");
        w.leaf("ram:LineID", olr);
        w.end();
    }
    let base = |w: &mut Writer| {
        if let Some(bq) = p.base_quantity {
            w.start("ram:BasisQuantity")
                .opt_attr(
                    "unitCode",
                    p.base_quantity_unit.as_ref().map(UnitCode::code),
                )
                .text_end(&bq.to_string());
        }
    };
    if p.gross_price.is_some() || p.discount.is_some() {
        w.start("ram:GrossPriceProductTradePrice");
        // CII carries a discount (BT-147) only under a gross price (BT-148): derive it when absent.
        let gross = p.gross_price.unwrap_or_else(|| {
            let discount = p.discount.map_or(rust_decimal::Decimal::ZERO, |d| d.0);
            UnitPrice(p.net_price.0.checked_add(discount).unwrap_or(p.net_price.0))
        });
        w.leaf("ram:ChargeAmount", &gross.to_string());
        base(w);
        if let Some(d) = p.discount {
            w.start("ram:AppliedTradeAllowanceCharge");
            indicator(w, false);
            w.leaf("ram:ActualAmount", &d.to_string());
            w.end();
        }
        w.end();
    }
    w.start("ram:NetPriceProductTradePrice");
    w.leaf("ram:ChargeAmount", &p.net_price.to_string());
    base(w);
    w.end();
    w.end();
    w.start("ram:SpecifiedLineTradeDelivery");
    w.start("ram:BilledQuantity")
        .attr("unitCode", line.unit.code())
        .text_end(&line.quantity.to_string());
    w.end();
    w.start("ram:SpecifiedLineTradeSettlement");
    w.start("ram:ApplicableTradeTax");
    w.leaf("ram:TypeCode", "VAT");
    w.leaf("ram:CategoryCode", line.vat.category.code());
    w.opt_leaf(
        "ram:RateApplicablePercent",
        line.vat.rate.map(|r| r.to_string()).as_deref(),
    );
    w.end();
    if let Some(period) = &line.period {
        write_period(w, period);
    }
    for (is_charge, list) in [(false, &line.allowances), (true, &line.charges)] {
        for ac in list {
            w.start("ram:SpecifiedTradeAllowanceCharge");
            indicator(w, is_charge);
            w.opt_leaf(
                "ram:CalculationPercent",
                ac.percentage.map(|p| p.to_string()).as_deref(),
            );
            w.opt_leaf(
                "ram:BasisAmount",
                ac.base_amount.map(|a| a.to_string()).as_deref(),
            );
            w.leaf("ram:ActualAmount", &ac.amount.to_string());
            w.opt_leaf(
                "ram:ReasonCode",
                ac.reason_code.as_ref().map(ReasonCode::code),
            );
            w.opt_leaf("ram:Reason", ac.reason.as_deref());
            w.end();
        }
    }
    w.start("ram:SpecifiedTradeSettlementLineMonetarySummation");
    w.leaf("ram:LineTotalAmount", &line.net_amount.to_string());
    w.end();
    if let Some(obj) = &line.object_identifier {
        w.start("ram:AdditionalReferencedDocument");
        w.leaf("ram:IssuerAssignedID", &obj.value);
        w.leaf("ram:TypeCode", "130");
        w.opt_leaf("ram:ReferenceTypeCode", obj.scheme.as_deref());
        w.end();
    }
    if let Some(acc) = &line.buyer_accounting_reference {
        w.start("ram:ReceivableSpecifiedTradeAccountingAccount");
        w.leaf("ram:ID", acc);
        w.end();
    }
    w.end();
    w.end();
}

fn indicator(w: &mut Writer, value: bool) {
    w.start("ram:ChargeIndicator");
    w.leaf("udt:Indicator", if value { "true" } else { "false" });
    w.end();
}

fn write_address(w: &mut Writer, a: &Address) {
    // No address data, no element (Factur-X MINIMUM has no buyer address).
    if *a == Address::default() {
        return;
    }
    w.start("ram:PostalTradeAddress");
    w.opt_leaf("ram:PostcodeCode", a.post_code.as_deref());
    w.opt_leaf("ram:LineOne", a.line1.as_deref());
    w.opt_leaf("ram:LineTwo", a.line2.as_deref());
    w.opt_leaf("ram:LineThree", a.line3.as_deref());
    w.opt_leaf("ram:CityName", a.city.as_deref());
    w.leaf("ram:CountryID", a.country.code());
    w.opt_leaf("ram:CountrySubDivisionName", a.subdivision.as_deref());
    w.end();
}

fn write_contact(w: &mut Writer, c: &Contact) {
    w.start("ram:DefinedTradeContact");
    w.opt_leaf("ram:PersonName", c.name.as_deref());
    if let Some(phone) = &c.phone {
        w.start("ram:TelephoneUniversalCommunication");
        w.leaf("ram:CompleteNumber", phone);
        w.end();
    }
    if let Some(email) = &c.email {
        w.start("ram:EmailURIUniversalCommunication");
        w.leaf("ram:URIID", email);
        w.end();
    }
    w.end();
}

fn write_party_ids<'a>(w: &mut Writer, ids: impl Iterator<Item = &'a Identifier> + Clone) {
    for id in ids.clone().filter(|i| i.scheme.is_none()) {
        w.leaf("ram:ID", &id.value);
    }
    for id in ids.filter(|i| i.scheme.is_some()) {
        w.start("ram:GlobalID")
            .opt_attr("schemeID", id.scheme.as_deref())
            .text_end(&id.value);
    }
}

fn write_legal_org(w: &mut Writer, id: Option<&Identifier>, trading_name: Option<&str>) {
    if id.is_some() || trading_name.is_some() {
        w.start("ram:SpecifiedLegalOrganization");
        if let Some(id) = id {
            w.start("ram:ID")
                .opt_attr("schemeID", id.scheme.as_deref())
                .text_end(&id.value);
        }
        w.opt_leaf("ram:TradingBusinessName", trading_name);
        w.end();
    }
}

fn write_uri(w: &mut Writer, id: Option<&Identifier>) {
    if let Some(id) = id {
        w.start("ram:URIUniversalCommunication");
        w.start("ram:URIID")
            .opt_attr("schemeID", id.scheme.as_deref())
            .text_end(&id.value);
        w.end();
    }
}

fn write_tax_registration(w: &mut Writer, id: Option<&str>, scheme: &str) {
    if let Some(id) = id {
        w.start("ram:SpecifiedTaxRegistration");
        w.start("ram:ID").attr("schemeID", scheme).text_end(id);
        w.end();
    }
}

fn write_seller(w: &mut Writer, s: &Seller) {
    w.start("ram:SellerTradeParty");
    write_party_ids(w, s.identifiers.iter());
    w.leaf("ram:Name", &s.name);
    w.opt_leaf("ram:Description", s.additional_legal_info.as_deref());
    write_legal_org(w, s.legal_registration.as_ref(), s.trading_name.as_deref());
    if let Some(c) = &s.contact {
        write_contact(w, c);
    }
    write_address(w, &s.address);
    write_uri(w, s.electronic_address.as_ref());
    write_tax_registration(w, s.vat_id.as_deref(), "VA");
    write_tax_registration(w, s.tax_registration_id.as_deref(), "FC");
    w.end();
}

fn write_buyer(w: &mut Writer, b: &Buyer) {
    w.start("ram:BuyerTradeParty");
    write_party_ids(w, b.identifier.iter());
    w.leaf("ram:Name", &b.name);
    write_legal_org(w, b.legal_registration.as_ref(), b.trading_name.as_deref());
    if let Some(c) = &b.contact {
        write_contact(w, c);
    }
    write_address(w, &b.address);
    write_uri(w, b.electronic_address.as_ref());
    write_tax_registration(w, b.vat_id.as_deref(), "VA");
    w.end();
}

fn write_referenced(w: &mut Writer, name: &'static str, id: Option<&str>) {
    if let Some(id) = id {
        w.start(name);
        w.leaf("ram:IssuerAssignedID", id);
        w.end();
    }
}

fn write_agreement(w: &mut Writer, inv: &Invoice) {
    w.start("ram:ApplicableHeaderTradeAgreement");
    w.opt_leaf("ram:BuyerReference", inv.buyer_reference.as_deref());
    write_seller(w, &inv.seller);
    write_buyer(w, &inv.buyer);
    if let Some(rep) = &inv.tax_representative {
        w.start("ram:SellerTaxRepresentativeTradeParty");
        w.leaf("ram:Name", &rep.name);
        write_address(w, &rep.address);
        write_tax_registration(w, Some(&rep.vat_id), "VA");
        w.end();
    }
    write_referenced(
        w,
        "ram:SellerOrderReferencedDocument",
        inv.sales_order_reference.as_deref(),
    );
    write_referenced(
        w,
        "ram:BuyerOrderReferencedDocument",
        inv.purchase_order_reference.as_deref(),
    );
    write_referenced(
        w,
        "ram:ContractReferencedDocument",
        inv.contract_reference.as_deref(),
    );
    for sd in &inv.supporting_documents {
        w.start("ram:AdditionalReferencedDocument");
        w.leaf("ram:IssuerAssignedID", &sd.reference);
        w.opt_leaf("ram:URIID", sd.external_location.as_deref());
        w.leaf("ram:TypeCode", "916");
        w.opt_leaf("ram:Name", sd.description.as_deref());
        if let Some(a) = &sd.attachment {
            w.start("ram:AttachmentBinaryObject")
                .attr("mimeCode", &a.mime_code)
                .attr("filename", &a.filename)
                .text_end(&a.content_base64);
        }
        w.end();
    }
    if let Some(tender) = &inv.tender_or_lot_reference {
        w.start("ram:AdditionalReferencedDocument");
        w.leaf("ram:IssuerAssignedID", tender);
        w.leaf("ram:TypeCode", "50");
        w.end();
    }
    if let Some(obj) = &inv.invoiced_object_identifier {
        w.start("ram:AdditionalReferencedDocument");
        w.leaf("ram:IssuerAssignedID", &obj.value);
        w.leaf("ram:TypeCode", "130");
        w.opt_leaf("ram:ReferenceTypeCode", obj.scheme.as_deref());
        w.end();
    }
    if let Some(project) = &inv.project_reference {
        w.start("ram:SpecifiedProcuringProject");
        w.leaf("ram:ID", project);
        w.leaf("ram:Name", "Project reference");
        w.end();
    }
    w.end();
}

fn write_delivery(w: &mut Writer, inv: &Invoice) {
    w.start("ram:ApplicableHeaderTradeDelivery");
    if let Some(d) = &inv.delivery {
        if d.location_id.is_some() || d.party_name.is_some() || d.address.is_some() {
            w.start("ram:ShipToTradeParty");
            write_party_ids(w, d.location_id.iter());
            w.opt_leaf("ram:Name", d.party_name.as_deref());
            if let Some(a) = &d.address {
                write_address(w, a);
            }
            w.end();
        }
        if let Some(date) = d.actual_delivery_date {
            w.start("ram:ActualDeliverySupplyChainEvent");
            date_time(w, "ram:OccurrenceDateTime", date);
            w.end();
        }
    }
    write_referenced(
        w,
        "ram:DespatchAdviceReferencedDocument",
        inv.despatch_advice_reference.as_deref(),
    );
    write_referenced(
        w,
        "ram:ReceivingAdviceReferencedDocument",
        inv.receiving_advice_reference.as_deref(),
    );
    w.end();
}

/// Whether an account identifier has the shape of an IBAN (two letters, two digits, then alphanumerics).
fn looks_like_iban(id: &str) -> bool {
    let compact: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    let b = compact.as_bytes();
    b.len() >= 15
        && b.len() <= 34
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

fn write_settlement(w: &mut Writer, inv: &Invoice, minimum: bool) {
    let cur = inv.currency.code();
    let pi = inv.payment_instructions.as_ref();
    let dd = pi.and_then(|p| p.direct_debit.as_ref());
    w.start("ram:ApplicableHeaderTradeSettlement");
    w.opt_leaf(
        "ram:CreditorReferenceID",
        dd.and_then(|d| d.creditor_id.as_deref()),
    );
    w.opt_leaf(
        "ram:PaymentReference",
        pi.and_then(|p| p.remittance_information.as_deref()),
    );
    w.opt_leaf(
        "ram:TaxCurrencyCode",
        inv.tax_currency.as_ref().map(CurrencyCode::code),
    );
    w.leaf("ram:InvoiceCurrencyCode", cur);
    if let Some(p) = &inv.payee {
        w.start("ram:PayeeTradeParty");
        write_party_ids(w, p.identifier.iter());
        w.leaf("ram:Name", &p.name);
        write_legal_org(w, p.legal_registration.as_ref(), None);
        w.end();
    }
    if let Some(pi) = pi
        && !pi.means_code.code().is_empty()
    {
        let transfers: Vec<Option<&CreditTransfer>> = if pi.credit_transfers.is_empty() {
            vec![None]
        } else {
            pi.credit_transfers.iter().map(Some).collect()
        };
        for (index, ct) in transfers.into_iter().enumerate() {
            w.start("ram:SpecifiedTradeSettlementPaymentMeans");
            w.leaf("ram:TypeCode", pi.means_code.code());
            w.opt_leaf("ram:Information", pi.means_text.as_deref());
            if index == 0
                && let Some(card) = &pi.card
            {
                w.start("ram:ApplicableTradeSettlementFinancialCard");
                w.leaf("ram:ID", &card.primary_account_number);
                w.opt_leaf("ram:CardholderName", card.holder_name.as_deref());
                w.end();
            }
            if index == 0
                && let Some(acct) = dd.and_then(|d| d.debited_account_id.as_deref())
            {
                w.start("ram:PayerPartyDebtorFinancialAccount");
                w.leaf("ram:IBANID", acct);
                w.end();
            }
            if let Some(ct) = ct {
                w.start("ram:PayeePartyCreditorFinancialAccount");
                if looks_like_iban(&ct.account_id) {
                    w.leaf("ram:IBANID", &ct.account_id);
                    w.opt_leaf("ram:AccountName", ct.account_name.as_deref());
                } else {
                    w.opt_leaf("ram:AccountName", ct.account_name.as_deref());
                    w.leaf("ram:ProprietaryID", &ct.account_id);
                }
                w.end();
                if let Some(bic) = &ct.service_provider_id {
                    w.start("ram:PayeeSpecifiedCreditorFinancialInstitution");
                    w.leaf("ram:BICID", bic);
                    w.end();
                }
            }
            w.end();
        }
    }
    let breakdown = if minimum {
        &[][..]
    } else {
        &inv.vat_breakdown[..]
    };
    for (index, b) in breakdown.iter().enumerate() {
        w.start("ram:ApplicableTradeTax");
        w.leaf("ram:CalculatedAmount", &b.tax_amount.to_string());
        w.leaf("ram:TypeCode", "VAT");
        w.opt_leaf("ram:ExemptionReason", b.exemption_reason.as_deref());
        w.leaf("ram:BasisAmount", &b.taxable_amount.to_string());
        w.leaf("ram:CategoryCode", b.category.code());
        w.opt_leaf(
            "ram:ExemptionReasonCode",
            b.exemption_reason_code.as_ref().map(VatExemptionCode::code),
        );
        // BT-7 and BT-8 are document level; CII allows them once (CII-SR-461), on the first breakdown.
        if index == 0
            && let Some(d) = inv.tax_point_date
        {
            w.start("ram:TaxPointDate");
            w.start("udt:DateString")
                .attr("format", "102")
                .text_end(&d.to_102());
            w.end();
        }
        if index == 0 {
            w.opt_leaf(
                "ram:DueDateTypeCode",
                inv.tax_point_date_code
                    .as_ref()
                    .map(VatPointDateCode::cii_code),
            );
        }
        w.opt_leaf(
            "ram:RateApplicablePercent",
            b.rate.map(|r| r.to_string()).as_deref(),
        );
        w.end();
    }
    if let Some(p) = &inv.invoicing_period {
        write_period(w, p);
    }
    for (is_charge, list) in [(false, &inv.allowances), (true, &inv.charges)] {
        for ac in list {
            w.start("ram:SpecifiedTradeAllowanceCharge");
            indicator(w, is_charge);
            w.opt_leaf(
                "ram:CalculationPercent",
                ac.percentage.map(|p| p.to_string()).as_deref(),
            );
            w.opt_leaf(
                "ram:BasisAmount",
                ac.base_amount.map(|a| a.to_string()).as_deref(),
            );
            w.leaf("ram:ActualAmount", &ac.amount.to_string());
            w.opt_leaf(
                "ram:ReasonCode",
                ac.reason_code.as_ref().map(ReasonCode::code),
            );
            w.opt_leaf("ram:Reason", ac.reason.as_deref());
            if ac.vat_category.is_some() || ac.vat_rate.is_some() {
                w.start("ram:CategoryTradeTax");
                w.leaf("ram:TypeCode", "VAT");
                w.leaf(
                    "ram:CategoryCode",
                    ac.vat_category.as_ref().map_or("", VatCategory::code),
                );
                w.opt_leaf(
                    "ram:RateApplicablePercent",
                    ac.vat_rate.map(|r| r.to_string()).as_deref(),
                );
                w.end();
            }
            w.end();
        }
    }
    let mandate = dd.and_then(|d| d.mandate_reference.as_deref());
    if inv.payment_terms.is_some() || inv.due_date.is_some() || mandate.is_some() {
        w.start("ram:SpecifiedTradePaymentTerms");
        w.opt_leaf("ram:Description", inv.payment_terms.as_deref());
        opt_date_time(w, "ram:DueDateDateTime", inv.due_date);
        w.opt_leaf("ram:DirectDebitMandateID", mandate);
        w.end();
    }
    let t = &inv.totals;
    w.start("ram:SpecifiedTradeSettlementHeaderMonetarySummation");
    if !minimum {
        w.leaf("ram:LineTotalAmount", &t.line_net_total.to_string());
    }
    w.opt_leaf(
        "ram:ChargeTotalAmount",
        t.charge_total.map(|a| a.to_string()).as_deref(),
    );
    w.opt_leaf(
        "ram:AllowanceTotalAmount",
        t.allowance_total.map(|a| a.to_string()).as_deref(),
    );
    w.leaf("ram:TaxBasisTotalAmount", &t.total_without_vat.to_string());
    if let Some(vat) = t.vat_total {
        w.start("ram:TaxTotalAmount")
            .attr("currencyID", cur)
            .text_end(&vat.to_string());
    }
    if let Some(acc) = t.vat_total_accounting {
        let tc = inv.tax_currency.as_ref().map_or(cur, CurrencyCode::code);
        w.start("ram:TaxTotalAmount")
            .attr("currencyID", tc)
            .text_end(&acc.to_string());
    }
    w.opt_leaf(
        "ram:RoundingAmount",
        t.rounding.map(|a| a.to_string()).as_deref(),
    );
    w.leaf("ram:GrandTotalAmount", &t.total_with_vat.to_string());
    w.opt_leaf(
        "ram:TotalPrepaidAmount",
        t.paid.map(|a| a.to_string()).as_deref(),
    );
    w.leaf("ram:DuePayableAmount", &t.amount_due.to_string());
    w.end();
    if let Some(p) = inv.preceding_invoices.first() {
        w.start("ram:InvoiceReferencedDocument");
        w.leaf("ram:IssuerAssignedID", &p.number);
        if let Some(d) = p.issue_date {
            w.start("ram:FormattedIssueDateTime");
            w.start("qdt:DateTimeString")
                .attr("format", "102")
                .text_end(&d.to_102());
            w.end();
        }
        w.end();
    }
    if let Some(acc) = &inv.buyer_accounting_reference {
        w.start("ram:ReceivableSpecifiedTradeAccountingAccount");
        w.leaf("ram:ID", acc);
        w.end();
    }
    w.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_shape() {
        assert!(looks_like_iban("DE75512108001245126199"));
        assert!(!looks_like_iban("12341234567"));
        assert!(!looks_like_iban("SE:BANKGIRO"));
    }
}
