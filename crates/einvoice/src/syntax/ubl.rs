//! UBL 2.1 `Invoice` and `CreditNote`: reader and writer.
//!
//! Mapping per EN 16931-3-2 (UBL syntax binding) as profiled by Peppol BIS
//! Billing 3.0 and XRechnung 3.0. Element order follows the UBL 2.1 schemas.

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
use crate::syntax::{ReadOutcome, Syntax, UBL_CREDIT_NOTE_NS, UBL_INVOICE_NS};
use crate::types::{Amount, Identifier, Percentage, Quantity, UnitPrice};

const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const PREFIXES: &[(&str, &str)] = &[
    ("cbc", CBC),
    ("cac", CAC),
    ("ubl", UBL_INVOICE_NS),
    ("cn", UBL_CREDIT_NOTE_NS),
];

type R<'a, 'i> = Reader<'a, 'i>;
type N<'a, 'i> = Node<'a, 'i>;

/// Reads a UBL document already parsed (root `Invoice` or `CreditNote`).
pub(crate) fn read_document(doc: &Document<'_>) -> Result<ReadOutcome, Error> {
    let r = Reader::new(doc, PREFIXES);
    let invoice = read_invoice(&r)?;
    Ok(ReadOutcome {
        invoice,
        syntax: Syntax::Ubl,
        warnings: r.finish(),
    })
}

/// Reads a UBL 2.1 Invoice or CreditNote from bytes.
///
/// # Errors
/// As [`crate::syntax::read`]; also [`Error::UnknownDocument`] for a CII document.
pub fn read(bytes: &[u8]) -> Result<ReadOutcome, Error> {
    let doc = crate::syntax::xml::parse(bytes)?;
    let root = doc.root_element();
    match (root.tag_name().namespace(), root.tag_name().name()) {
        (Some(UBL_INVOICE_NS), "Invoice") | (Some(UBL_CREDIT_NOTE_NS), "CreditNote") => {
            read_document(&doc)
        }
        (ns, name) => Err(Error::UnknownDocument {
            found: format!("{{{}}}{name}", ns.unwrap_or("")),
        }),
    }
}

fn cbc<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<N<'a, 'i>> {
    r.child(n, CBC, name)
}

fn cac<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<N<'a, 'i>> {
    r.child(n, CAC, name)
}

fn text<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<String> {
    r.text_of(n, CBC, name)
}

fn trimmed<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Option<String> {
    text(r, n, name).map(|t| t.trim().to_owned())
}

fn required<'a, 'i>(
    r: &R<'a, 'i>,
    n: N<'a, 'i>,
    name: &str,
    term: &'static str,
) -> Result<N<'a, 'i>, Error> {
    cbc(r, n, name).ok_or_else(|| Error::Missing {
        term,
        path: format!("{}/cbc:{name}", r.xpath(n)),
    })
}

fn opt_date<'a, 'i>(
    r: &R<'a, 'i>,
    n: N<'a, 'i>,
    name: &str,
) -> Result<Option<crate::types::Date>, Error> {
    cbc(r, n, name).map(|c| r.date(c)).transpose()
}

fn opt_amount<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Result<Option<Amount>, Error> {
    cbc(r, n, name).map(|c| r.amount(c)).transpose()
}

fn opt_percent<'a, 'i>(
    r: &R<'a, 'i>,
    n: N<'a, 'i>,
    name: &str,
) -> Result<Option<Percentage>, Error> {
    cbc(r, n, name).map(|c| r.percent(c)).transpose()
}

fn req_amount<'a, 'i>(r: &R<'a, 'i>, n: N<'a, 'i>, name: &str) -> Result<Amount, Error> {
    match cbc(r, n, name) {
        Some(c) => r.amount(c),
        None => {
            r.warn(n, format!("cbc:{name} is missing; read as 0"));
            Ok(Amount::ZERO)
        }
    }
}

fn read_invoice(r: &R<'_, '_>) -> Result<Invoice, Error> {
    let root = r.root();
    let is_cn = root.tag_name().name() == "CreditNote";
    let _ = cbc(r, root, "UBLVersionID");
    let number = r.text(required(r, root, "ID", "BT-1 Invoice number")?);
    let issue_date = r.date(required(r, root, "IssueDate", "BT-2 Invoice issue date")?)?;
    let type_name = if is_cn {
        "CreditNoteTypeCode"
    } else {
        "InvoiceTypeCode"
    };
    let type_code = InvoiceTypeCode::from_code(&r.text(required(
        r,
        root,
        type_name,
        "BT-3 Invoice type code",
    )?));
    let currency = CurrencyCode::new(
        r.text(required(
            r,
            root,
            "DocumentCurrencyCode",
            "BT-5 Invoice currency code",
        )?)
        .trim(),
    );
    let mut inv = Invoice::new(number, issue_date, type_code, currency);

    inv.process.specification = text(r, root, "CustomizationID").unwrap_or_default();
    inv.process.business_process = text(r, root, "ProfileID");
    inv.due_date = opt_date(r, root, "DueDate")?;
    for note in r.children(root, CBC, "Note") {
        inv.notes.push(split_note(&r.text(note)));
    }
    inv.tax_point_date = opt_date(r, root, "TaxPointDate")?;
    inv.tax_currency = trimmed(r, root, "TaxCurrencyCode").map(CurrencyCode::new);
    inv.buyer_accounting_reference = text(r, root, "AccountingCost");
    inv.buyer_reference = text(r, root, "BuyerReference");
    if let Some(period) = cac(r, root, "InvoicePeriod") {
        inv.invoicing_period = read_period(r, period)?;
        inv.tax_point_date_code =
            trimmed(r, period, "DescriptionCode").map(|c| VatPointDateCode::from_code(&c));
    }
    if let Some(order) = cac(r, root, "OrderReference") {
        let id = text(r, order, "ID");
        inv.sales_order_reference = text(r, order, "SalesOrderID");
        inv.purchase_order_reference = match id {
            Some(id) if id.trim() == "NA" && inv.sales_order_reference.is_some() => None,
            other => other,
        };
    }
    for billing in r.children(root, CAC, "BillingReference") {
        if let Some(doc) = cac(r, billing, "InvoiceDocumentReference") {
            inv.preceding_invoices.push(PrecedingInvoice {
                number: text(r, doc, "ID").unwrap_or_default(),
                issue_date: opt_date(r, doc, "IssueDate")?,
            });
        }
    }
    inv.despatch_advice_reference =
        cac(r, root, "DespatchDocumentReference").and_then(|d| text(r, d, "ID"));
    inv.receiving_advice_reference =
        cac(r, root, "ReceiptDocumentReference").and_then(|d| text(r, d, "ID"));
    inv.tender_or_lot_reference =
        cac(r, root, "OriginatorDocumentReference").and_then(|d| text(r, d, "ID"));
    inv.contract_reference =
        cac(r, root, "ContractDocumentReference").and_then(|d| text(r, d, "ID"));
    for doc in r.children(root, CAC, "AdditionalDocumentReference") {
        let type_code = trimmed(r, doc, "DocumentTypeCode");
        match type_code.as_deref() {
            Some("130") => {
                inv.invoiced_object_identifier =
                    cbc(r, doc, "ID").map(|id| r.identifier(id, "schemeID"))
            }
            Some("50") if is_cn => inv.project_reference = text(r, doc, "ID"),
            _ => inv.supporting_documents.push(read_supporting(r, doc)),
        }
    }
    if let Some(project) = cac(r, root, "ProjectReference") {
        inv.project_reference = text(r, project, "ID");
    }
    let mut creditor_id = None;
    if let Some(party) = cac(r, root, "AccountingSupplierParty").and_then(|p| cac(r, p, "Party")) {
        inv.seller = read_seller(r, party, &mut creditor_id);
    }
    if let Some(party) = cac(r, root, "AccountingCustomerParty").and_then(|p| cac(r, p, "Party")) {
        inv.buyer = read_buyer(r, party);
    }
    if let Some(payee) = cac(r, root, "PayeeParty") {
        inv.payee = Some(read_payee(r, payee, &mut creditor_id));
    }
    if let Some(rep) = cac(r, root, "TaxRepresentativeParty") {
        inv.tax_representative = Some(TaxRepresentative {
            name: cac(r, rep, "PartyName")
                .and_then(|p| text(r, p, "Name"))
                .unwrap_or_default(),
            vat_id: cac(r, rep, "PartyTaxScheme")
                .and_then(|p| {
                    let _ = cac(r, p, "TaxScheme").map(|s| cbc(r, s, "ID"));
                    text(r, p, "CompanyID")
                })
                .unwrap_or_default(),
            address: cac(r, rep, "PostalAddress")
                .map(|a| read_address(r, a))
                .unwrap_or_default(),
        });
    }
    if let Some(delivery) = cac(r, root, "Delivery") {
        inv.delivery = Some(read_delivery(r, delivery)?);
    }
    read_payment_means(r, root, &mut inv, is_cn)?;
    if let Some(cid) = creditor_id {
        inv.payment_instructions
            .get_or_insert_with(PaymentInstructions::default)
            .direct_debit
            .get_or_insert_with(DirectDebit::default)
            .creditor_id = Some(cid);
    }
    let terms: Vec<String> = r
        .children(root, CAC, "PaymentTerms")
        .into_iter()
        .flat_map(|t| r.children(t, CBC, "Note"))
        .map(|n| r.text(n))
        .collect();
    if !terms.is_empty() {
        inv.payment_terms = Some(terms.join("\n"));
    }
    for ac in r.children(root, CAC, "AllowanceCharge") {
        let (is_charge, item) = read_doc_allowance_charge(r, ac)?;
        if is_charge {
            inv.charges.push(item)
        } else {
            inv.allowances.push(item)
        }
    }
    for total in r.children(root, CAC, "TaxTotal") {
        let amount = req_amount(r, total, "TaxAmount")?;
        let subtotals = r.children(total, CAC, "TaxSubtotal");
        let currency = cbc(r, total, "TaxAmount").and_then(|a| r.attr(a, "currencyID"));
        let in_tax_currency = inv
            .tax_currency
            .as_ref()
            .is_some_and(|c| Some(c.code()) == currency.as_deref().map(str::trim))
            && inv.tax_currency.as_ref() != Some(&inv.currency);
        if subtotals.is_empty() && in_tax_currency {
            inv.totals.vat_total_accounting = Some(amount);
        } else {
            inv.totals.vat_total = Some(amount);
        }
        for sub in subtotals {
            inv.vat_breakdown.push(read_subtotal(r, sub)?);
        }
    }
    if let Some(t) = cac(r, root, "LegalMonetaryTotal") {
        inv.totals.line_net_total = req_amount(r, t, "LineExtensionAmount")?;
        inv.totals.total_without_vat = req_amount(r, t, "TaxExclusiveAmount")?;
        inv.totals.total_with_vat = req_amount(r, t, "TaxInclusiveAmount")?;
        inv.totals.allowance_total = opt_amount(r, t, "AllowanceTotalAmount")?;
        inv.totals.charge_total = opt_amount(r, t, "ChargeTotalAmount")?;
        inv.totals.paid = opt_amount(r, t, "PrepaidAmount")?;
        inv.totals.rounding = opt_amount(r, t, "PayableRoundingAmount")?;
        inv.totals.amount_due = req_amount(r, t, "PayableAmount")?;
    }
    let line_name = if is_cn {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    for line in r.children(root, CAC, line_name) {
        inv.lines.push(read_line(r, line, is_cn)?);
    }
    Ok(inv)
}

/// Splits the `#SUBJECTCODE#text` convention of UBL notes (BT-21 has no element of its own).
fn split_note(text: &str) -> Note {
    if let Some(rest) = text.strip_prefix('#')
        && let Some((code, body)) = rest.split_once('#')
        && !code.is_empty()
        && code.len() <= 3
        && code.chars().all(|c| c.is_ascii_uppercase())
    {
        return Note {
            subject_code: Some(code.to_owned()),
            text: body.to_owned(),
        };
    }
    Note {
        subject_code: None,
        text: text.to_owned(),
    }
}

fn read_period(r: &R<'_, '_>, n: N<'_, '_>) -> Result<Option<Period>, Error> {
    let start = opt_date(r, n, "StartDate")?;
    let end = opt_date(r, n, "EndDate")?;
    Ok((start.is_some() || end.is_some()).then_some(Period { start, end }))
}

fn read_supporting(r: &R<'_, '_>, doc: N<'_, '_>) -> SupportingDocument {
    let mut sd = SupportingDocument {
        reference: text(r, doc, "ID").unwrap_or_default(),
        description: text(r, doc, "DocumentDescription"),
        ..SupportingDocument::default()
    };
    if let Some(att) = cac(r, doc, "Attachment") {
        if let Some(obj) = cbc(r, att, "EmbeddedDocumentBinaryObject") {
            sd.attachment = Some(Attachment {
                content_base64: r.text(obj),
                mime_code: r.attr(obj, "mimeCode").unwrap_or_default(),
                filename: r.attr(obj, "filename").unwrap_or_default(),
            });
        }
        sd.external_location = cac(r, att, "ExternalReference").and_then(|e| text(r, e, "URI"));
    }
    sd
}

fn read_address(r: &R<'_, '_>, a: N<'_, '_>) -> Address {
    Address {
        line1: text(r, a, "StreetName"),
        line2: text(r, a, "AdditionalStreetName"),
        line3: cac(r, a, "AddressLine").and_then(|l| text(r, l, "Line")),
        city: text(r, a, "CityName"),
        post_code: text(r, a, "PostalZone"),
        subdivision: text(r, a, "CountrySubentity"),
        country: CountryCode::new(
            cac(r, a, "Country")
                .and_then(|c| trimmed(r, c, "IdentificationCode"))
                .unwrap_or_default(),
        ),
    }
}

fn read_contact(r: &R<'_, '_>, c: N<'_, '_>) -> Contact {
    Contact {
        name: text(r, c, "Name"),
        phone: text(r, c, "Telephone"),
        email: text(r, c, "ElectronicMail"),
    }
}

/// Reads `cac:PartyTaxScheme`s: (VAT identifier, other tax registration identifier).
fn read_tax_schemes(r: &R<'_, '_>, party: N<'_, '_>) -> (Option<String>, Option<String>) {
    let (mut vat, mut other) = (None, None);
    for pts in r.children(party, CAC, "PartyTaxScheme") {
        let scheme = cac(r, pts, "TaxScheme").and_then(|s| trimmed(r, s, "ID"));
        let id = text(r, pts, "CompanyID");
        if scheme.as_deref() == Some("VAT") {
            if vat.is_none() {
                vat = id;
            } else {
                r.warn(pts, "a second VAT identifier; EN 16931 holds one");
            }
        } else if other.is_none() {
            other = id;
        } else {
            r.warn(
                pts,
                "a second tax registration identifier; EN 16931 holds one",
            );
        }
    }
    (vat, other)
}

fn read_seller(r: &R<'_, '_>, party: N<'_, '_>, creditor_id: &mut Option<String>) -> Seller {
    let mut s = Seller {
        electronic_address: cbc(r, party, "EndpointID").map(|e| r.identifier(e, "schemeID")),
        ..Seller::default()
    };
    for pid in r.children(party, CAC, "PartyIdentification") {
        if let Some(id) = cbc(r, pid, "ID") {
            let ident = r.identifier(id, "schemeID");
            if ident.scheme.as_deref().map(str::trim) == Some("SEPA") {
                *creditor_id = Some(ident.value);
            } else {
                s.identifiers.push(ident);
            }
        }
    }
    s.trading_name = cac(r, party, "PartyName").and_then(|p| text(r, p, "Name"));
    s.address = cac(r, party, "PostalAddress")
        .map(|a| read_address(r, a))
        .unwrap_or_default();
    (s.vat_id, s.tax_registration_id) = read_tax_schemes(r, party);
    if let Some(le) = cac(r, party, "PartyLegalEntity") {
        s.name = text(r, le, "RegistrationName").unwrap_or_default();
        s.legal_registration = cbc(r, le, "CompanyID").map(|c| r.identifier(c, "schemeID"));
        s.additional_legal_info = text(r, le, "CompanyLegalForm");
    }
    s.contact = cac(r, party, "Contact").map(|c| read_contact(r, c));
    s
}

fn read_buyer(r: &R<'_, '_>, party: N<'_, '_>) -> Buyer {
    let mut b = Buyer {
        electronic_address: cbc(r, party, "EndpointID").map(|e| r.identifier(e, "schemeID")),
        identifier: cac(r, party, "PartyIdentification")
            .and_then(|p| cbc(r, p, "ID"))
            .map(|id| r.identifier(id, "schemeID")),
        trading_name: cac(r, party, "PartyName").and_then(|p| text(r, p, "Name")),
        address: cac(r, party, "PostalAddress")
            .map(|a| read_address(r, a))
            .unwrap_or_default(),
        ..Buyer::default()
    };
    (b.vat_id, _) = read_tax_schemes(r, party);
    if let Some(le) = cac(r, party, "PartyLegalEntity") {
        b.name = text(r, le, "RegistrationName").unwrap_or_default();
        b.legal_registration = cbc(r, le, "CompanyID").map(|c| r.identifier(c, "schemeID"));
    }
    b.contact = cac(r, party, "Contact").map(|c| read_contact(r, c));
    b
}

fn read_payee(r: &R<'_, '_>, party: N<'_, '_>, creditor_id: &mut Option<String>) -> Payee {
    let mut p = Payee::default();
    for pid in r.children(party, CAC, "PartyIdentification") {
        if let Some(id) = cbc(r, pid, "ID") {
            let ident = r.identifier(id, "schemeID");
            if ident.scheme.as_deref().map(str::trim) == Some("SEPA") {
                *creditor_id = Some(ident.value);
            } else if p.identifier.is_none() {
                p.identifier = Some(ident);
            } else {
                r.warn(pid, "a second payee identifier; EN 16931 holds one");
            }
        }
    }
    p.name = cac(r, party, "PartyName")
        .and_then(|n| text(r, n, "Name"))
        .unwrap_or_default();
    p.legal_registration = cac(r, party, "PartyLegalEntity")
        .and_then(|le| cbc(r, le, "CompanyID"))
        .map(|c| r.identifier(c, "schemeID"));
    p
}

fn read_delivery(r: &R<'_, '_>, d: N<'_, '_>) -> Result<Delivery, Error> {
    let mut out = Delivery {
        actual_delivery_date: opt_date(r, d, "ActualDeliveryDate")?,
        ..Delivery::default()
    };
    if let Some(loc) = cac(r, d, "DeliveryLocation") {
        out.location_id = cbc(r, loc, "ID").map(|id| r.identifier(id, "schemeID"));
        out.address = cac(r, loc, "Address").map(|a| read_address(r, a));
    }
    out.party_name = cac(r, d, "DeliveryParty")
        .and_then(|p| cac(r, p, "PartyName"))
        .and_then(|p| text(r, p, "Name"));
    Ok(out)
}

fn read_payment_means(
    r: &R<'_, '_>,
    root: N<'_, '_>,
    inv: &mut Invoice,
    is_cn: bool,
) -> Result<(), Error> {
    let all = r.children(root, CAC, "PaymentMeans");
    let Some(first) = all.first().copied() else {
        return Ok(());
    };
    let code_node = cbc(r, first, "PaymentMeansCode");
    let mut pi = PaymentInstructions {
        means_code: PaymentMeansCode::new(
            code_node
                .map(|c| r.text(c).trim().to_owned())
                .unwrap_or_default(),
        ),
        means_text: code_node.and_then(|c| r.attr(c, "name")),
        remittance_information: text(r, first, "PaymentID"),
        ..PaymentInstructions::default()
    };
    if is_cn {
        inv.due_date = opt_date(r, first, "PaymentDueDate")?;
    }
    for (index, pm) in all.iter().copied().enumerate() {
        if index > 0 {
            let code = trimmed(r, pm, "PaymentMeansCode").unwrap_or_default();
            if code != pi.means_code.code() {
                r.warn(
                    pm,
                    format!(
                        "payment means code {code} differs from the first ({}); EN 16931 holds one",
                        pi.means_code
                    ),
                );
            }
            if is_cn {
                let _ = cbc(r, pm, "PaymentDueDate");
            }
            let _ = cbc(r, pm, "PaymentID");
        }
        if let Some(card) = cac(r, pm, "CardAccount") {
            let _ = cbc(r, card, "NetworkID");
            pi.card = Some(PaymentCard {
                primary_account_number: text(r, card, "PrimaryAccountNumberID").unwrap_or_default(),
                holder_name: text(r, card, "HolderName"),
            });
        }
        if let Some(acct) = cac(r, pm, "PayeeFinancialAccount") {
            pi.credit_transfers.push(CreditTransfer {
                account_id: text(r, acct, "ID").unwrap_or_default(),
                account_name: text(r, acct, "Name"),
                service_provider_id: cac(r, acct, "FinancialInstitutionBranch")
                    .and_then(|b| text(r, b, "ID")),
            });
        }
        if let Some(mandate) = cac(r, pm, "PaymentMandate") {
            let dd = pi.direct_debit.get_or_insert_with(DirectDebit::default);
            dd.mandate_reference = text(r, mandate, "ID");
            dd.debited_account_id =
                cac(r, mandate, "PayerFinancialAccount").and_then(|a| text(r, a, "ID"));
        }
    }
    inv.payment_instructions = Some(pi);
    Ok(())
}

fn reason_code(is_charge: bool, code: String) -> ReasonCode {
    if is_charge {
        ReasonCode::Charge(ChargeReasonCode::new(code))
    } else {
        ReasonCode::Allowance(AllowanceReasonCode::new(code))
    }
}

fn read_doc_allowance_charge(
    r: &R<'_, '_>,
    ac: N<'_, '_>,
) -> Result<(bool, DocumentAllowanceCharge), Error> {
    let is_charge = cbc(r, ac, "ChargeIndicator")
        .map(|c| r.boolean(c))
        .transpose()?
        .unwrap_or(false);
    let tax = cac(r, ac, "TaxCategory");
    if let Some(tax) = tax {
        let _ = cac(r, tax, "TaxScheme").map(|s| cbc(r, s, "ID"));
    }
    Ok((
        is_charge,
        DocumentAllowanceCharge {
            amount: req_amount(r, ac, "Amount")?,
            base_amount: opt_amount(r, ac, "BaseAmount")?,
            percentage: opt_percent(r, ac, "MultiplierFactorNumeric")?,
            vat_category: tax
                .and_then(|t| trimmed(r, t, "ID"))
                .map(|c| VatCategory::from_code(&c)),
            vat_rate: tax
                .map(|t| opt_percent(r, t, "Percent"))
                .transpose()?
                .flatten(),
            reason: text(r, ac, "AllowanceChargeReason"),
            reason_code: trimmed(r, ac, "AllowanceChargeReasonCode")
                .map(|c| reason_code(is_charge, c)),
        },
    ))
}

fn read_subtotal(r: &R<'_, '_>, sub: N<'_, '_>) -> Result<VatBreakdown, Error> {
    let cat = cac(r, sub, "TaxCategory");
    if let Some(cat) = cat {
        let _ = cac(r, cat, "TaxScheme").map(|s| cbc(r, s, "ID"));
    }
    Ok(VatBreakdown {
        taxable_amount: req_amount(r, sub, "TaxableAmount")?,
        tax_amount: req_amount(r, sub, "TaxAmount")?,
        category: VatCategory::from_code(
            &cat.and_then(|c| trimmed(r, c, "ID")).unwrap_or_default(),
        ),
        rate: cat
            .map(|c| opt_percent(r, c, "Percent"))
            .transpose()?
            .flatten(),
        exemption_reason: cat.and_then(|c| text(r, c, "TaxExemptionReason")),
        exemption_reason_code: cat
            .and_then(|c| trimmed(r, c, "TaxExemptionReasonCode"))
            .map(VatExemptionCode::new),
    })
}

fn read_line(r: &R<'_, '_>, line: N<'_, '_>, is_cn: bool) -> Result<InvoiceLine, Error> {
    let qty_name = if is_cn {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    };
    let qty_node = cbc(r, line, qty_name);
    let quantity = match qty_node {
        Some(q) => r.quantity(q)?,
        None => {
            r.warn(line, format!("cbc:{qty_name} is missing; read as 0"));
            Quantity::ZERO
        }
    };
    let unit = UnitCode::new(
        qty_node
            .and_then(|q| r.attr(q, "unitCode"))
            .unwrap_or_default()
            .trim(),
    );
    let mut out = InvoiceLine {
        id: text(r, line, "ID").unwrap_or_default(),
        note: text(r, line, "Note"),
        object_identifier: None,
        quantity,
        unit,
        net_amount: req_amount(r, line, "LineExtensionAmount")?,
        order_line_reference: cac(r, line, "OrderLineReference").and_then(|o| text(r, o, "LineID")),
        buyer_accounting_reference: text(r, line, "AccountingCost"),
        period: cac(r, line, "InvoicePeriod")
            .map(|p| read_period(r, p))
            .transpose()?
            .flatten(),
        allowances: Vec::new(),
        charges: Vec::new(),
        price: PriceDetails::default(),
        vat: LineVat {
            category: VatCategory::Other(String::new()),
            rate: None,
        },
        item: Item::default(),
    };
    if let Some(doc) = cac(r, line, "DocumentReference") {
        let _ = cbc(r, doc, "DocumentTypeCode");
        out.object_identifier = cbc(r, doc, "ID").map(|id| r.identifier(id, "schemeID"));
    }
    for ac in r.children(line, CAC, "AllowanceCharge") {
        let is_charge = cbc(r, ac, "ChargeIndicator")
            .map(|c| r.boolean(c))
            .transpose()?
            .unwrap_or(false);
        let item = LineAllowanceCharge {
            amount: req_amount(r, ac, "Amount")?,
            base_amount: opt_amount(r, ac, "BaseAmount")?,
            percentage: opt_percent(r, ac, "MultiplierFactorNumeric")?,
            reason: text(r, ac, "AllowanceChargeReason"),
            reason_code: trimmed(r, ac, "AllowanceChargeReasonCode")
                .map(|c| reason_code(is_charge, c)),
        };
        if is_charge {
            out.charges.push(item)
        } else {
            out.allowances.push(item)
        }
    }
    if let Some(item) = cac(r, line, "Item") {
        out.item = Item {
            name: text(r, item, "Name").unwrap_or_default(),
            description: text(r, item, "Description"),
            buyer_id: cac(r, item, "BuyersItemIdentification").and_then(|i| text(r, i, "ID")),
            seller_id: cac(r, item, "SellersItemIdentification").and_then(|i| text(r, i, "ID")),
            standard_id: cac(r, item, "StandardItemIdentification")
                .and_then(|i| cbc(r, i, "ID"))
                .map(|id| r.identifier(id, "schemeID")),
            origin_country: cac(r, item, "OriginCountry")
                .and_then(|c| trimmed(r, c, "IdentificationCode"))
                .map(CountryCode::new),
            classifications: r
                .children(item, CAC, "CommodityClassification")
                .into_iter()
                .filter_map(|c| cbc(r, c, "ItemClassificationCode"))
                .map(|code| Classification {
                    code: r.text(code),
                    scheme: r.attr(code, "listID"),
                    scheme_version: r.attr(code, "listVersionID"),
                })
                .collect(),
            attributes: r
                .children(item, CAC, "AdditionalItemProperty")
                .into_iter()
                .map(|p| ItemAttribute {
                    name: text(r, p, "Name").unwrap_or_default(),
                    value: text(r, p, "Value").unwrap_or_default(),
                })
                .collect(),
        };
        if let Some(tax) = cac(r, item, "ClassifiedTaxCategory") {
            let _ = cac(r, tax, "TaxScheme").map(|s| cbc(r, s, "ID"));
            out.vat = LineVat {
                category: VatCategory::from_code(&trimmed(r, tax, "ID").unwrap_or_default()),
                rate: opt_percent(r, tax, "Percent")?,
            };
        }
    }
    if let Some(price) = cac(r, line, "Price") {
        out.price.net_price = match cbc(r, price, "PriceAmount") {
            Some(p) => r.price(p)?,
            None => UnitPrice::ZERO,
        };
        if let Some(bq) = cbc(r, price, "BaseQuantity") {
            out.price.base_quantity = Some(r.quantity(bq)?);
            out.price.base_quantity_unit = r.attr(bq, "unitCode").map(|u| UnitCode::new(u.trim()));
        }
        if let Some(ac) = cac(r, price, "AllowanceCharge") {
            let _ = cbc(r, ac, "ChargeIndicator");
            // A zero discount says nothing (UBL needs an Amount even when only the gross price is given).
            out.price.discount = cbc(r, ac, "Amount")
                .map(|a| r.price(a))
                .transpose()?
                .filter(|d| !d.0.is_zero());
            out.price.gross_price = cbc(r, ac, "BaseAmount").map(|a| r.price(a)).transpose()?;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- writer

/// Writes an invoice as UBL 2.1: a `CreditNote` for credit note type codes, else an `Invoice`.
///
/// # Errors
/// [`Error::Unsupported`] for an invoice without lines (UBL requires one), or a credit note with a due
/// date but no payment instructions (UBL carries BT-9 of a credit note inside payment means).
pub fn write(inv: &Invoice) -> Result<String, Error> {
    let problems = crate::spec::obstacles(
        inv,
        &crate::spec::Target {
            syntax: Syntax::Ubl,
            specification: None,
        },
    );
    if !problems.is_empty() {
        return Err(Error::Unsupported {
            target: "UBL 2.1".to_owned(),
            reason: problems.join("; "),
        });
    }
    let is_cn = inv.type_code.is_credit_note_type();
    let mut w = Writer::new();
    if is_cn {
        w.start("CreditNote").attr("xmlns", UBL_CREDIT_NOTE_NS);
    } else {
        w.start("Invoice").attr("xmlns", UBL_INVOICE_NS);
    }
    w.attr("xmlns:cac", CAC).attr("xmlns:cbc", CBC);
    w.leaf("cbc:CustomizationID", &inv.process.specification);
    w.opt_leaf("cbc:ProfileID", inv.process.business_process.as_deref());
    w.leaf("cbc:ID", &inv.number);
    w.leaf("cbc:IssueDate", &inv.issue_date.to_iso());
    if is_cn {
        w.opt_leaf(
            "cbc:TaxPointDate",
            inv.tax_point_date.map(|d| d.to_iso()).as_deref(),
        );
        w.leaf("cbc:CreditNoteTypeCode", inv.type_code.code());
    } else {
        w.opt_leaf("cbc:DueDate", inv.due_date.map(|d| d.to_iso()).as_deref());
        w.leaf("cbc:InvoiceTypeCode", inv.type_code.code());
    }
    for note in &inv.notes {
        match &note.subject_code {
            Some(code) => w.leaf("cbc:Note", &format!("#{code}#{}", note.text)),
            None => w.leaf("cbc:Note", &note.text),
        }
    }
    if !is_cn {
        w.opt_leaf(
            "cbc:TaxPointDate",
            inv.tax_point_date.map(|d| d.to_iso()).as_deref(),
        );
    }
    w.leaf("cbc:DocumentCurrencyCode", inv.currency.code());
    w.opt_leaf(
        "cbc:TaxCurrencyCode",
        inv.tax_currency.as_ref().map(CurrencyCode::code),
    );
    w.opt_leaf(
        "cbc:AccountingCost",
        inv.buyer_accounting_reference.as_deref(),
    );
    w.opt_leaf("cbc:BuyerReference", inv.buyer_reference.as_deref());
    if inv.invoicing_period.is_some() || inv.tax_point_date_code.is_some() {
        w.start("cac:InvoicePeriod");
        if let Some(p) = &inv.invoicing_period {
            write_period_dates(&mut w, p);
        }
        w.opt_leaf(
            "cbc:DescriptionCode",
            inv.tax_point_date_code.as_ref().map(VatPointDateCode::code),
        );
        w.end();
    }
    if inv.purchase_order_reference.is_some() || inv.sales_order_reference.is_some() {
        w.start("cac:OrderReference");
        w.leaf(
            "cbc:ID",
            inv.purchase_order_reference.as_deref().unwrap_or("NA"),
        );
        w.opt_leaf("cbc:SalesOrderID", inv.sales_order_reference.as_deref());
        w.end();
    }
    for p in &inv.preceding_invoices {
        w.start("cac:BillingReference");
        w.start("cac:InvoiceDocumentReference");
        w.leaf("cbc:ID", &p.number);
        w.opt_leaf("cbc:IssueDate", p.issue_date.map(|d| d.to_iso()).as_deref());
        w.end();
        w.end();
    }
    write_doc_ref(
        &mut w,
        "cac:DespatchDocumentReference",
        inv.despatch_advice_reference.as_deref(),
    );
    write_doc_ref(
        &mut w,
        "cac:ReceiptDocumentReference",
        inv.receiving_advice_reference.as_deref(),
    );
    if !is_cn {
        write_doc_ref(
            &mut w,
            "cac:OriginatorDocumentReference",
            inv.tender_or_lot_reference.as_deref(),
        );
    }
    write_doc_ref(
        &mut w,
        "cac:ContractDocumentReference",
        inv.contract_reference.as_deref(),
    );
    if let Some(obj) = &inv.invoiced_object_identifier {
        w.start("cac:AdditionalDocumentReference");
        w.start("cbc:ID")
            .opt_attr("schemeID", obj.scheme.as_deref())
            .text_end(&obj.value);
        w.leaf("cbc:DocumentTypeCode", "130");
        w.end();
    }
    if is_cn && let Some(project) = &inv.project_reference {
        w.start("cac:AdditionalDocumentReference");
        w.leaf("cbc:ID", project);
        w.leaf("cbc:DocumentTypeCode", "50");
        w.end();
    }
    for sd in &inv.supporting_documents {
        write_supporting(&mut w, sd);
    }
    if is_cn {
        write_doc_ref(
            &mut w,
            "cac:OriginatorDocumentReference",
            inv.tender_or_lot_reference.as_deref(),
        );
    } else {
        write_doc_ref(
            &mut w,
            "cac:ProjectReference",
            inv.project_reference.as_deref(),
        );
    }
    let creditor_id = inv
        .payment_instructions
        .as_ref()
        .and_then(|p| p.direct_debit.as_ref())
        .and_then(|d| d.creditor_id.as_deref());
    w.start("cac:AccountingSupplierParty");
    write_seller(
        &mut w,
        &inv.seller,
        if inv.payee.is_none() {
            creditor_id
        } else {
            None
        },
    );
    w.end();
    w.start("cac:AccountingCustomerParty");
    write_buyer(&mut w, &inv.buyer);
    w.end();
    if let Some(payee) = &inv.payee {
        write_payee(&mut w, payee, creditor_id);
    }
    if let Some(rep) = &inv.tax_representative {
        w.start("cac:TaxRepresentativeParty");
        w.start("cac:PartyName");
        w.leaf("cbc:Name", &rep.name);
        w.end();
        write_address(&mut w, "cac:PostalAddress", &rep.address);
        write_party_tax_scheme(&mut w, &rep.vat_id, "VAT");
        w.end();
    }
    if let Some(d) = &inv.delivery {
        write_delivery(&mut w, d);
    }
    if let Some(pi) = &inv.payment_instructions {
        write_payment_means(&mut w, pi, if is_cn { inv.due_date } else { None });
    }
    if let Some(terms) = &inv.payment_terms {
        w.start("cac:PaymentTerms");
        w.leaf("cbc:Note", terms);
        w.end();
    }
    for a in &inv.allowances {
        write_doc_allowance_charge(&mut w, false, a, &inv.currency);
    }
    for c in &inv.charges {
        write_doc_allowance_charge(&mut w, true, c, &inv.currency);
    }
    let cur = inv.currency.code();
    if inv.totals.vat_total.is_some() || !inv.vat_breakdown.is_empty() {
        w.start("cac:TaxTotal");
        amount(
            &mut w,
            "cbc:TaxAmount",
            inv.totals.vat_total.unwrap_or_default(),
            cur,
        );
        for b in &inv.vat_breakdown {
            w.start("cac:TaxSubtotal");
            amount(&mut w, "cbc:TaxableAmount", b.taxable_amount, cur);
            amount(&mut w, "cbc:TaxAmount", b.tax_amount, cur);
            w.start("cac:TaxCategory");
            w.leaf("cbc:ID", b.category.code());
            w.opt_leaf("cbc:Percent", b.rate.map(|p| p.to_string()).as_deref());
            w.opt_leaf(
                "cbc:TaxExemptionReasonCode",
                b.exemption_reason_code.as_ref().map(VatExemptionCode::code),
            );
            w.opt_leaf("cbc:TaxExemptionReason", b.exemption_reason.as_deref());
            tax_scheme(&mut w);
            w.end();
            w.end();
        }
        w.end();
    }
    if let Some(acc) = inv.totals.vat_total_accounting {
        let tax_cur = inv.tax_currency.as_ref().map_or(cur, CurrencyCode::code);
        w.start("cac:TaxTotal");
        amount(&mut w, "cbc:TaxAmount", acc, tax_cur);
        w.end();
    }
    let t = &inv.totals;
    w.start("cac:LegalMonetaryTotal");
    amount(&mut w, "cbc:LineExtensionAmount", t.line_net_total, cur);
    amount(&mut w, "cbc:TaxExclusiveAmount", t.total_without_vat, cur);
    amount(&mut w, "cbc:TaxInclusiveAmount", t.total_with_vat, cur);
    opt_amount_w(&mut w, "cbc:AllowanceTotalAmount", t.allowance_total, cur);
    opt_amount_w(&mut w, "cbc:ChargeTotalAmount", t.charge_total, cur);
    opt_amount_w(&mut w, "cbc:PrepaidAmount", t.paid, cur);
    opt_amount_w(&mut w, "cbc:PayableRoundingAmount", t.rounding, cur);
    amount(&mut w, "cbc:PayableAmount", t.amount_due, cur);
    w.end();
    for line in &inv.lines {
        write_line(&mut w, line, is_cn, cur);
    }
    Ok(w.finish())
}

fn amount(w: &mut Writer, name: &'static str, value: Amount, currency: &str) {
    w.start(name)
        .attr("currencyID", currency)
        .text_end(&value.to_string());
}

fn opt_amount_w(w: &mut Writer, name: &'static str, value: Option<Amount>, currency: &str) {
    if let Some(value) = value {
        amount(w, name, value, currency);
    }
}

fn tax_scheme(w: &mut Writer) {
    w.start("cac:TaxScheme");
    w.leaf("cbc:ID", "VAT");
    w.end();
}

fn write_doc_ref(w: &mut Writer, name: &'static str, id: Option<&str>) {
    if let Some(id) = id {
        w.start(name);
        w.leaf("cbc:ID", id);
        w.end();
    }
}

fn write_period_dates(w: &mut Writer, p: &Period) {
    w.opt_leaf("cbc:StartDate", p.start.map(|d| d.to_iso()).as_deref());
    w.opt_leaf("cbc:EndDate", p.end.map(|d| d.to_iso()).as_deref());
}

fn write_supporting(w: &mut Writer, sd: &SupportingDocument) {
    w.start("cac:AdditionalDocumentReference");
    w.leaf("cbc:ID", &sd.reference);
    w.opt_leaf("cbc:DocumentDescription", sd.description.as_deref());
    if sd.attachment.is_some() || sd.external_location.is_some() {
        w.start("cac:Attachment");
        if let Some(a) = &sd.attachment {
            w.start("cbc:EmbeddedDocumentBinaryObject")
                .attr("mimeCode", &a.mime_code)
                .attr("filename", &a.filename)
                .text_end(&a.content_base64);
        }
        if let Some(uri) = &sd.external_location {
            w.start("cac:ExternalReference");
            w.leaf("cbc:URI", uri);
            w.end();
        }
        w.end();
    }
    w.end();
}

fn write_address(w: &mut Writer, name: &'static str, a: &Address) {
    if *a == Address::default() {
        return;
    }
    w.start(name);
    w.opt_leaf("cbc:StreetName", a.line1.as_deref());
    w.opt_leaf("cbc:AdditionalStreetName", a.line2.as_deref());
    w.opt_leaf("cbc:CityName", a.city.as_deref());
    w.opt_leaf("cbc:PostalZone", a.post_code.as_deref());
    w.opt_leaf("cbc:CountrySubentity", a.subdivision.as_deref());
    if let Some(l3) = &a.line3 {
        w.start("cac:AddressLine");
        w.leaf("cbc:Line", l3);
        w.end();
    }
    w.start("cac:Country");
    w.leaf("cbc:IdentificationCode", a.country.code());
    w.end();
    w.end();
}

fn write_party_tax_scheme(w: &mut Writer, id: &str, scheme: &str) {
    w.start("cac:PartyTaxScheme");
    w.leaf("cbc:CompanyID", id);
    w.start("cac:TaxScheme");
    w.leaf("cbc:ID", scheme);
    w.end();
    w.end();
}

fn write_contact(w: &mut Writer, c: &Contact) {
    w.start("cac:Contact");
    w.opt_leaf("cbc:Name", c.name.as_deref());
    w.opt_leaf("cbc:Telephone", c.phone.as_deref());
    w.opt_leaf("cbc:ElectronicMail", c.email.as_deref());
    w.end();
}

fn write_id(w: &mut Writer, name: &'static str, id: &Identifier) {
    w.start(name)
        .opt_attr("schemeID", id.scheme.as_deref())
        .text_end(&id.value);
}

fn write_party_identification(w: &mut Writer, id: &Identifier) {
    w.start("cac:PartyIdentification");
    write_id(w, "cbc:ID", id);
    w.end();
}

fn write_seller(w: &mut Writer, s: &Seller, creditor_id: Option<&str>) {
    w.start("cac:Party");
    if let Some(e) = &s.electronic_address {
        write_id(w, "cbc:EndpointID", e);
    }
    for id in &s.identifiers {
        write_party_identification(w, id);
    }
    if let Some(cid) = creditor_id {
        write_party_identification(w, &Identifier::with_scheme(cid, "SEPA"));
    }
    if let Some(tn) = &s.trading_name {
        w.start("cac:PartyName");
        w.leaf("cbc:Name", tn);
        w.end();
    }
    write_address(w, "cac:PostalAddress", &s.address);
    if let Some(vat) = &s.vat_id {
        write_party_tax_scheme(w, vat, "VAT");
    }
    if let Some(tax) = &s.tax_registration_id {
        write_party_tax_scheme(w, tax, "FC");
    }
    w.start("cac:PartyLegalEntity");
    w.leaf("cbc:RegistrationName", &s.name);
    if let Some(lr) = &s.legal_registration {
        write_id(w, "cbc:CompanyID", lr);
    }
    w.opt_leaf("cbc:CompanyLegalForm", s.additional_legal_info.as_deref());
    w.end();
    if let Some(c) = &s.contact {
        write_contact(w, c);
    }
    w.end();
}

fn write_buyer(w: &mut Writer, b: &Buyer) {
    w.start("cac:Party");
    if let Some(e) = &b.electronic_address {
        write_id(w, "cbc:EndpointID", e);
    }
    if let Some(id) = &b.identifier {
        write_party_identification(w, id);
    }
    if let Some(tn) = &b.trading_name {
        w.start("cac:PartyName");
        w.leaf("cbc:Name", tn);
        w.end();
    }
    write_address(w, "cac:PostalAddress", &b.address);
    if let Some(vat) = &b.vat_id {
        write_party_tax_scheme(w, vat, "VAT");
    }
    w.start("cac:PartyLegalEntity");
    w.leaf("cbc:RegistrationName", &b.name);
    if let Some(lr) = &b.legal_registration {
        write_id(w, "cbc:CompanyID", lr);
    }
    w.end();
    if let Some(c) = &b.contact {
        write_contact(w, c);
    }
    w.end();
}

fn write_payee(w: &mut Writer, p: &Payee, creditor_id: Option<&str>) {
    w.start("cac:PayeeParty");
    if let Some(id) = &p.identifier {
        write_party_identification(w, id);
    }
    if let Some(cid) = creditor_id {
        write_party_identification(w, &Identifier::with_scheme(cid, "SEPA"));
    }
    w.start("cac:PartyName");
    w.leaf("cbc:Name", &p.name);
    w.end();
    if let Some(lr) = &p.legal_registration {
        w.start("cac:PartyLegalEntity");
        write_id(w, "cbc:CompanyID", lr);
        w.end();
    }
    w.end();
}

fn write_delivery(w: &mut Writer, d: &Delivery) {
    w.start("cac:Delivery");
    w.opt_leaf(
        "cbc:ActualDeliveryDate",
        d.actual_delivery_date.map(|d| d.to_iso()).as_deref(),
    );
    if d.location_id.is_some() || d.address.is_some() {
        w.start("cac:DeliveryLocation");
        if let Some(id) = &d.location_id {
            write_id(w, "cbc:ID", id);
        }
        if let Some(a) = &d.address {
            write_address(w, "cac:Address", a);
        }
        w.end();
    }
    if let Some(name) = &d.party_name {
        w.start("cac:DeliveryParty");
        w.start("cac:PartyName");
        w.leaf("cbc:Name", name);
        w.end();
        w.end();
    }
    w.end();
}

fn write_payment_means(
    w: &mut Writer,
    pi: &PaymentInstructions,
    due_date: Option<crate::types::Date>,
) {
    let transfers: Vec<Option<&CreditTransfer>> = if pi.credit_transfers.is_empty() {
        vec![None]
    } else {
        pi.credit_transfers.iter().map(Some).collect()
    };
    for (index, ct) in transfers.into_iter().enumerate() {
        w.start("cac:PaymentMeans");
        w.start("cbc:PaymentMeansCode")
            .opt_attr(
                "name",
                if index == 0 {
                    pi.means_text.as_deref()
                } else {
                    None
                },
            )
            .text_end(pi.means_code.code());
        w.opt_leaf(
            "cbc:PaymentDueDate",
            due_date.map(|d| d.to_iso()).as_deref(),
        );
        w.opt_leaf("cbc:PaymentID", pi.remittance_information.as_deref());
        if index == 0
            && let Some(card) = &pi.card
        {
            w.start("cac:CardAccount");
            w.leaf("cbc:PrimaryAccountNumberID", &card.primary_account_number);
            w.leaf("cbc:NetworkID", "NA");
            w.opt_leaf("cbc:HolderName", card.holder_name.as_deref());
            w.end();
        }
        if let Some(ct) = ct {
            w.start("cac:PayeeFinancialAccount");
            w.leaf("cbc:ID", &ct.account_id);
            w.opt_leaf("cbc:Name", ct.account_name.as_deref());
            if let Some(bic) = &ct.service_provider_id {
                w.start("cac:FinancialInstitutionBranch");
                w.leaf("cbc:ID", bic);
                w.end();
            }
            w.end();
        }
        if index == 0
            && let Some(dd) = &pi.direct_debit
            && (dd.mandate_reference.is_some() || dd.debited_account_id.is_some())
        {
            w.start("cac:PaymentMandate");
            w.opt_leaf("cbc:ID", dd.mandate_reference.as_deref());
            if let Some(acct) = &dd.debited_account_id {
                w.start("cac:PayerFinancialAccount");
                w.leaf("cbc:ID", acct);
                w.end();
            }
            w.end();
        }
        w.end();
    }
}

fn write_doc_allowance_charge(
    w: &mut Writer,
    is_charge: bool,
    ac: &DocumentAllowanceCharge,
    currency: &CurrencyCode,
) {
    w.start("cac:AllowanceCharge");
    w.leaf(
        "cbc:ChargeIndicator",
        if is_charge { "true" } else { "false" },
    );
    w.opt_leaf(
        "cbc:AllowanceChargeReasonCode",
        ac.reason_code.as_ref().map(ReasonCode::code),
    );
    w.opt_leaf("cbc:AllowanceChargeReason", ac.reason.as_deref());
    w.opt_leaf(
        "cbc:MultiplierFactorNumeric",
        ac.percentage.map(|p| p.to_string()).as_deref(),
    );
    amount(w, "cbc:Amount", ac.amount, currency.code());
    opt_amount_w(w, "cbc:BaseAmount", ac.base_amount, currency.code());
    if ac.vat_category.is_some() || ac.vat_rate.is_some() {
        w.start("cac:TaxCategory");
        w.leaf(
            "cbc:ID",
            ac.vat_category.as_ref().map_or("", VatCategory::code),
        );
        w.opt_leaf("cbc:Percent", ac.vat_rate.map(|p| p.to_string()).as_deref());
        tax_scheme(w);
        w.end();
    }
    w.end();
}

fn write_line(w: &mut Writer, line: &InvoiceLine, is_cn: bool, cur: &str) {
    w.start(if is_cn {
        "cac:CreditNoteLine"
    } else {
        "cac:InvoiceLine"
    });
    w.leaf("cbc:ID", &line.id);
    w.opt_leaf("cbc:Note", line.note.as_deref());
    w.start(if is_cn {
        "cbc:CreditedQuantity"
    } else {
        "cbc:InvoicedQuantity"
    })
    .attr("unitCode", line.unit.code())
    .text_end(&line.quantity.to_string());
    amount(w, "cbc:LineExtensionAmount", line.net_amount, cur);
    w.opt_leaf(
        "cbc:AccountingCost",
        line.buyer_accounting_reference.as_deref(),
    );
    if let Some(p) = &line.period {
        w.start("cac:InvoicePeriod");
        write_period_dates(w, p);
        w.end();
    }
    if let Some(olr) = &line.order_line_reference {
        w.start("cac:OrderLineReference");
        w.leaf("cbc:LineID", olr);
        w.end();
    }
    if let Some(obj) = &line.object_identifier {
        w.start("cac:DocumentReference");
        write_id(w, "cbc:ID", obj);
        w.leaf("cbc:DocumentTypeCode", "130");
        w.end();
    }
    for (is_charge, list) in [(false, &line.allowances), (true, &line.charges)] {
        for ac in list {
            w.start("cac:AllowanceCharge");
            w.leaf(
                "cbc:ChargeIndicator",
                if is_charge { "true" } else { "false" },
            );
            w.opt_leaf(
                "cbc:AllowanceChargeReasonCode",
                ac.reason_code.as_ref().map(ReasonCode::code),
            );
            w.opt_leaf("cbc:AllowanceChargeReason", ac.reason.as_deref());
            w.opt_leaf(
                "cbc:MultiplierFactorNumeric",
                ac.percentage.map(|p| p.to_string()).as_deref(),
            );
            amount(w, "cbc:Amount", ac.amount, cur);
            opt_amount_w(w, "cbc:BaseAmount", ac.base_amount, cur);
            w.end();
        }
    }
    let item = &line.item;
    w.start("cac:Item");
    w.opt_leaf("cbc:Description", item.description.as_deref());
    w.leaf("cbc:Name", &item.name);
    if let Some(id) = &item.buyer_id {
        w.start("cac:BuyersItemIdentification");
        w.leaf("cbc:ID", id);
        w.end();
    }
    if let Some(id) = &item.seller_id {
        w.start("cac:SellersItemIdentification");
        w.leaf("cbc:ID", id);
        w.end();
    }
    if let Some(id) = &item.standard_id {
        w.start("cac:StandardItemIdentification");
        write_id(w, "cbc:ID", id);
        w.end();
    }
    if let Some(c) = &item.origin_country {
        w.start("cac:OriginCountry");
        w.leaf("cbc:IdentificationCode", c.code());
        w.end();
    }
    for c in &item.classifications {
        w.start("cac:CommodityClassification");
        w.start("cbc:ItemClassificationCode")
            .opt_attr("listID", c.scheme.as_deref())
            .opt_attr("listVersionID", c.scheme_version.as_deref())
            .text_end(&c.code);
        w.end();
    }
    w.start("cac:ClassifiedTaxCategory");
    w.leaf("cbc:ID", line.vat.category.code());
    w.opt_leaf(
        "cbc:Percent",
        line.vat.rate.map(|p| p.to_string()).as_deref(),
    );
    tax_scheme(w);
    w.end();
    for a in &item.attributes {
        w.start("cac:AdditionalItemProperty");
        w.leaf("cbc:Name", &a.name);
        w.leaf("cbc:Value", &a.value);
        w.end();
    }
    w.end();
    let p = &line.price;
    w.start("cac:Price");
    w.start("cbc:PriceAmount")
        .attr("currencyID", cur)
        .text_end(&p.net_price.to_string());
    if let Some(bq) = p.base_quantity {
        w.start("cbc:BaseQuantity")
            .opt_attr(
                "unitCode",
                p.base_quantity_unit.as_ref().map(UnitCode::code),
            )
            .text_end(&bq.to_string());
    }
    if p.discount.is_some() || p.gross_price.is_some() {
        w.start("cac:AllowanceCharge");
        w.leaf("cbc:ChargeIndicator", "false");
        w.start("cbc:Amount")
            .attr("currencyID", cur)
            .text_end(&p.discount.unwrap_or_default().to_string());
        if let Some(g) = p.gross_price {
            w.start("cbc:BaseAmount")
                .attr("currencyID", cur)
                .text_end(&g.to_string());
        }
        w.end();
    }
    w.end();
    w.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_split_subject_codes() {
        assert_eq!(
            split_note("#AAI#Hello").subject_code.as_deref(),
            Some("AAI")
        );
        assert_eq!(split_note("#AAI#Hello").text, "Hello");
        assert_eq!(split_note("# not a code").subject_code, None);
        assert_eq!(split_note("plain").text, "plain");
    }
}
