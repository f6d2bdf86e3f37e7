//! What the renderer shows: a flat, display-oriented view of an invoice, read
//! from CII or UBL XML.
//!
//! Values stay the strings the XML carries (amounts are not recomputed or
//! rounded); formatting for a language happens in the renderer. This view is
//! deliberately not the EN 16931 model of `faktura-einvoice`: it holds only
//! what a person reads on paper, and it can be filled from the model later.

use roxmltree::Node;

use crate::error::{Error, Result};
use crate::profile::{Syntax, identify_doc, parse_xml};

/// Most lines the renderer lays out (about 2,000 pages); more are refused.
pub const MAX_LINES: usize = 50_000;

/// A party (seller or buyer) as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// Name (BT-27 / BT-44).
    pub name: String,
    /// Street lines.
    pub street: Vec<String>,
    /// Post code and city on one line.
    pub city_line: String,
    /// ISO 3166 country code.
    pub country: String,
    /// VAT identifier (BT-31 / BT-48).
    pub vat_id: String,
    /// Tax number (BT-32).
    pub tax_number: String,
    /// Contact person.
    pub contact: String,
    /// Contact telephone.
    pub phone: String,
    /// Contact e-mail.
    pub email: String,
}

/// One invoice line as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// Line id (BT-126).
    pub id: String,
    /// Item name (BT-153).
    pub name: String,
    /// Item description (BT-154).
    pub description: String,
    /// Invoiced quantity (BT-129).
    pub quantity: String,
    /// Unit code (BT-130).
    pub unit: String,
    /// Net unit price (BT-146).
    pub price: String,
    /// VAT category code (BT-151).
    pub vat_category: String,
    /// VAT rate in percent (BT-152).
    pub vat_rate: String,
    /// Line net amount (BT-131).
    pub amount: String,
}

/// One row of the VAT breakdown (BG-23).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VatRow {
    /// Category code (BT-118).
    pub category: String,
    /// Rate in percent (BT-119).
    pub rate: String,
    /// Taxable amount (BT-116).
    pub basis: String,
    /// Tax amount (BT-117).
    pub amount: String,
    /// Exemption reason text (BT-120).
    pub exemption: String,
}

/// Document totals (BG-22); empty strings are absent values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Sum of line net amounts (BT-106).
    pub lines: String,
    /// Sum of document allowances (BT-107).
    pub allowances: String,
    /// Sum of document charges (BT-108).
    pub charges: String,
    /// Total without VAT (BT-109).
    pub net: String,
    /// Total VAT (BT-110).
    pub vat: String,
    /// Total with VAT (BT-112).
    pub gross: String,
    /// Paid amount (BT-113).
    pub prepaid: String,
    /// Amount due for payment (BT-115).
    pub due: String,
}

/// Payment instructions (BG-16).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payment {
    /// Payment means code (BT-81), e.g. 58 for a SEPA credit transfer.
    pub means_code: String,
    /// Payee IBAN (BT-84).
    pub iban: String,
    /// Payee BIC (BT-86).
    pub bic: String,
    /// Account name (BT-85).
    pub account_name: String,
    /// Remittance information (BT-83).
    pub reference: String,
    /// Payment terms text (BT-20).
    pub terms: String,
    /// Due date (BT-9), ISO `YYYY-MM-DD` where it could be read.
    pub due_date: String,
}

/// Everything the renderer prints about one invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceView {
    /// Invoice number (BT-1).
    pub number: String,
    /// Type code (BT-3): 380 invoice, 381 credit note, …
    pub type_code: String,
    /// Issue date (BT-2), ISO `YYYY-MM-DD` where it could be read.
    pub issue_date: String,
    /// Delivery date (BT-72) or period start.
    pub delivery_date: String,
    /// Invoicing period end (BT-74), when a period is given.
    pub period_end: String,
    /// Currency (BT-5).
    pub currency: String,
    /// Buyer reference (BT-10), the Leitweg-ID for German public buyers.
    pub buyer_reference: String,
    /// Purchase order reference (BT-13).
    pub order_reference: String,
    /// Seller (BG-4).
    pub seller: Party,
    /// Buyer (BG-7).
    pub buyer: Party,
    /// Lines (BG-25).
    pub lines: Vec<Line>,
    /// VAT breakdown (BG-23).
    pub vat: Vec<VatRow>,
    /// Totals (BG-22).
    pub totals: Totals,
    /// Payment instructions.
    pub payment: Payment,
    /// Notes (BT-22).
    pub notes: Vec<String>,
    /// Specification identifier (BT-24).
    pub specification: String,
}

impl InvoiceView {
    /// Reads a CII or UBL invoice.
    pub fn from_xml(xml: &[u8]) -> Result<Self> {
        let doc = parse_xml(xml)?;
        let (syntax, spec) = match identify_doc(&doc) {
            Ok(found) => found,
            Err(Error::NoGuideline) => {
                let name = doc.root_element().tag_name().name();
                let syntax = if name.starts_with("Cross") {
                    Syntax::Cii
                } else {
                    Syntax::Ubl
                };
                (syntax, String::new())
            }
            Err(e) => return Err(e),
        };
        let root = doc.root_element();
        let mut view = match syntax {
            Syntax::Cii => from_cii(root),
            Syntax::Ubl => from_ubl(root),
        };
        if view.lines.len() > MAX_LINES {
            return Err(Error::TooLarge {
                what: "number of invoice lines",
                size: view.lines.len(),
                limit: MAX_LINES,
            });
        }
        view.specification = spec;
        Ok(view)
    }
}

// ---- small tree helpers (by local name, namespace-agnostic) ----

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn at<'a, 'i>(node: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |n, name| child(n, name))
}

fn text(node: Node<'_, '_>, path: &[&str]) -> String {
    at(node, path)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
        .unwrap_or_default()
}

fn opt_text(node: Option<Node<'_, '_>>, path: &[&str]) -> String {
    node.map(|n| text(n, path)).unwrap_or_default()
}

/// CII format 102 (`YYYYMMDD`) to ISO; other values are kept.
fn cii_date(raw: &str) -> String {
    let b = raw.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        format!(
            "{}-{}-{}",
            raw.get(0..4).unwrap_or_default(),
            raw.get(4..6).unwrap_or_default(),
            raw.get(6..8).unwrap_or_default()
        )
    } else {
        raw.to_owned()
    }
}

fn join_nonempty(parts: &[&str], sep: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(sep)
}

// ---- CII ----

fn cii_party(node: Option<Node<'_, '_>>) -> Party {
    let Some(p) = node else {
        return Party::default();
    };
    let addr = child(p, "PostalTradeAddress");
    let street = ["LineOne", "LineTwo", "LineThree"]
        .iter()
        .map(|l| opt_text(addr, &[l]))
        .filter(|s| !s.is_empty())
        .collect();
    let mut vat_id = String::new();
    let mut tax_number = String::new();
    for reg in children(p, "SpecifiedTaxRegistration") {
        if let Some(id) = child(reg, "ID") {
            let value = id.text().unwrap_or_default().trim().to_owned();
            match id.attribute("schemeID") {
                Some("FC") => tax_number = value,
                _ => vat_id = value,
            }
        }
    }
    let contact = child(p, "DefinedTradeContact");
    Party {
        name: text(p, &["Name"]),
        street,
        city_line: join_nonempty(
            &[
                &opt_text(addr, &["PostcodeCode"]),
                &opt_text(addr, &["CityName"]),
            ],
            " ",
        ),
        country: opt_text(addr, &["CountryID"]),
        vat_id,
        tax_number,
        contact: join_nonempty(
            &[
                &opt_text(contact, &["PersonName"]),
                &opt_text(contact, &["DepartmentName"]),
            ],
            ", ",
        ),
        phone: opt_text(
            contact,
            &["TelephoneUniversalCommunication", "CompleteNumber"],
        ),
        email: opt_text(contact, &["EmailURIUniversalCommunication", "URIID"]),
    }
}

fn from_cii(root: Node<'_, '_>) -> InvoiceView {
    let doc = child(root, "ExchangedDocument");
    let tx = child(root, "SupplyChainTradeTransaction");
    let agreement = tx.and_then(|t| child(t, "ApplicableHeaderTradeAgreement"));
    let delivery = tx.and_then(|t| child(t, "ApplicableHeaderTradeDelivery"));
    let settlement = tx.and_then(|t| child(t, "ApplicableHeaderTradeSettlement"));
    let sums = settlement.and_then(|s| child(s, "SpecifiedTradeSettlementHeaderMonetarySummation"));
    let currency = opt_text(settlement, &["InvoiceCurrencyCode"]);

    let lines = tx
        .map(|t| {
            children(t, "IncludedSupplyChainTradeLineItem")
                .map(|li| {
                    let qty = at(li, &["SpecifiedLineTradeDelivery", "BilledQuantity"]);
                    let tax = at(li, &["SpecifiedLineTradeSettlement", "ApplicableTradeTax"]);
                    Line {
                        id: text(li, &["AssociatedDocumentLineDocument", "LineID"]),
                        name: text(li, &["SpecifiedTradeProduct", "Name"]),
                        description: text(li, &["SpecifiedTradeProduct", "Description"]),
                        quantity: qty
                            .and_then(|q| q.text())
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                        unit: qty
                            .and_then(|q| q.attribute("unitCode"))
                            .unwrap_or_default()
                            .to_owned(),
                        price: text(
                            li,
                            &[
                                "SpecifiedLineTradeAgreement",
                                "NetPriceProductTradePrice",
                                "ChargeAmount",
                            ],
                        ),
                        vat_category: opt_text(tax, &["CategoryCode"]),
                        vat_rate: opt_text(tax, &["RateApplicablePercent"]),
                        amount: text(
                            li,
                            &[
                                "SpecifiedLineTradeSettlement",
                                "SpecifiedTradeSettlementLineMonetarySummation",
                                "LineTotalAmount",
                            ],
                        ),
                    }
                })
                .collect()
        })
        .unwrap_or_default();

    let vat = settlement
        .map(|s| {
            children(s, "ApplicableTradeTax")
                .map(|t| VatRow {
                    category: text(t, &["CategoryCode"]),
                    rate: text(t, &["RateApplicablePercent"]),
                    basis: text(t, &["BasisAmount"]),
                    amount: text(t, &["CalculatedAmount"]),
                    exemption: text(t, &["ExemptionReason"]),
                })
                .collect()
        })
        .unwrap_or_default();

    // TaxTotalAmount may appear twice (invoice and accounting currency).
    let vat_total = sums
        .map(|s| {
            let all: Vec<_> = children(s, "TaxTotalAmount").collect();
            all.iter()
                .find(|n| n.attribute("currencyID") == Some(currency.as_str()))
                .or(all.first())
                .and_then(|n| n.text())
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .unwrap_or_default();

    let means = settlement.and_then(|s| child(s, "SpecifiedTradeSettlementPaymentMeans"));
    let terms = settlement.and_then(|s| child(s, "SpecifiedTradePaymentTerms"));
    let period = settlement.and_then(|s| child(s, "BillingSpecifiedPeriod"));
    InvoiceView {
        number: opt_text(doc, &["ID"]),
        type_code: opt_text(doc, &["TypeCode"]),
        issue_date: cii_date(&opt_text(doc, &["IssueDateTime", "DateTimeString"])),
        delivery_date: {
            let d = opt_text(
                delivery,
                &[
                    "ActualDeliverySupplyChainEvent",
                    "OccurrenceDateTime",
                    "DateTimeString",
                ],
            );
            if d.is_empty() {
                cii_date(&opt_text(period, &["StartDateTime", "DateTimeString"]))
            } else {
                cii_date(&d)
            }
        },
        period_end: cii_date(&opt_text(period, &["EndDateTime", "DateTimeString"])),
        currency,
        buyer_reference: opt_text(agreement, &["BuyerReference"]),
        order_reference: opt_text(
            agreement,
            &["BuyerOrderReferencedDocument", "IssuerAssignedID"],
        ),
        seller: cii_party(agreement.and_then(|a| child(a, "SellerTradeParty"))),
        buyer: cii_party(agreement.and_then(|a| child(a, "BuyerTradeParty"))),
        lines,
        vat,
        totals: Totals {
            lines: opt_text(sums, &["LineTotalAmount"]),
            allowances: opt_text(sums, &["AllowanceTotalAmount"]),
            charges: opt_text(sums, &["ChargeTotalAmount"]),
            net: opt_text(sums, &["TaxBasisTotalAmount"]),
            vat: vat_total,
            gross: opt_text(sums, &["GrandTotalAmount"]),
            prepaid: opt_text(sums, &["TotalPrepaidAmount"]),
            due: opt_text(sums, &["DuePayableAmount"]),
        },
        payment: Payment {
            means_code: opt_text(means, &["TypeCode"]),
            iban: opt_text(means, &["PayeePartyCreditorFinancialAccount", "IBANID"]),
            bic: opt_text(
                means,
                &["PayeeSpecifiedCreditorFinancialInstitution", "BICID"],
            ),
            account_name: opt_text(
                means,
                &["PayeePartyCreditorFinancialAccount", "AccountName"],
            ),
            reference: opt_text(settlement, &["PaymentReference"]),
            terms: opt_text(terms, &["Description"]),
            due_date: cii_date(&opt_text(terms, &["DueDateDateTime", "DateTimeString"])),
        },
        notes: doc
            .map(|d| {
                children(d, "IncludedNote")
                    .map(|n| text(n, &["Content"]))
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        specification: String::new(),
    }
}

// ---- UBL ----

fn ubl_party(node: Option<Node<'_, '_>>) -> Party {
    let Some(p) = node else {
        return Party::default();
    };
    let addr = child(p, "PostalAddress");
    let street = ["StreetName", "AdditionalStreetName"]
        .iter()
        .map(|l| opt_text(addr, &[l]))
        .chain(std::iter::once(opt_text(addr, &["AddressLine", "Line"])))
        .filter(|s| !s.is_empty())
        .collect();
    let mut vat_id = String::new();
    let mut tax_number = String::new();
    for scheme in children(p, "PartyTaxScheme") {
        let id = text(scheme, &["CompanyID"]);
        if text(scheme, &["TaxScheme", "ID"]) == "VAT" {
            vat_id = id;
        } else {
            tax_number = id;
        }
    }
    let name = {
        let n = text(p, &["PartyName", "Name"]);
        if n.is_empty() {
            text(p, &["PartyLegalEntity", "RegistrationName"])
        } else {
            n
        }
    };
    let contact = child(p, "Contact");
    Party {
        name,
        street,
        city_line: join_nonempty(
            &[
                &opt_text(addr, &["PostalZone"]),
                &opt_text(addr, &["CityName"]),
            ],
            " ",
        ),
        country: opt_text(addr, &["Country", "IdentificationCode"]),
        vat_id,
        tax_number,
        contact: opt_text(contact, &["Name"]),
        phone: opt_text(contact, &["Telephone"]),
        email: opt_text(contact, &["ElectronicMail"]),
    }
}

fn from_ubl(root: Node<'_, '_>) -> InvoiceView {
    let credit = root.tag_name().name() == "CreditNote";
    let line_name = if credit {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let qty_name = if credit {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    };
    let lines = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == line_name)
        .map(|li| {
            let qty = child(li, qty_name);
            let tax = at(li, &["Item", "ClassifiedTaxCategory"]);
            Line {
                id: text(li, &["ID"]),
                name: text(li, &["Item", "Name"]),
                description: text(li, &["Item", "Description"]),
                quantity: qty
                    .and_then(|q| q.text())
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                unit: qty
                    .and_then(|q| q.attribute("unitCode"))
                    .unwrap_or_default()
                    .to_owned(),
                price: text(li, &["Price", "PriceAmount"]),
                vat_category: opt_text(tax, &["ID"]),
                vat_rate: opt_text(tax, &["Percent"]),
                amount: text(li, &["LineExtensionAmount"]),
            }
        })
        .collect();
    let currency = text(root, &["DocumentCurrencyCode"]);
    let tax_totals: Vec<_> = children(root, "TaxTotal").collect();
    let main_tax = tax_totals
        .iter()
        .find(|t| child(**t, "TaxSubtotal").is_some())
        .or(tax_totals.first())
        .copied();
    let vat = main_tax
        .map(|t| {
            children(t, "TaxSubtotal")
                .map(|s| VatRow {
                    category: text(s, &["TaxCategory", "ID"]),
                    rate: text(s, &["TaxCategory", "Percent"]),
                    basis: text(s, &["TaxableAmount"]),
                    amount: text(s, &["TaxAmount"]),
                    exemption: text(s, &["TaxCategory", "TaxExemptionReason"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let sums = child(root, "LegalMonetaryTotal");
    let means = child(root, "PaymentMeans");
    let period = child(root, "InvoicePeriod");
    let delivery = text(root, &["Delivery", "ActualDeliveryDate"]);
    InvoiceView {
        number: text(root, &["ID"]),
        type_code: {
            let t = text(root, &["InvoiceTypeCode"]);
            if t.is_empty() {
                text(root, &["CreditNoteTypeCode"])
            } else {
                t
            }
        },
        issue_date: text(root, &["IssueDate"]),
        delivery_date: if delivery.is_empty() {
            opt_text(period, &["StartDate"])
        } else {
            delivery
        },
        period_end: opt_text(period, &["EndDate"]),
        currency,
        buyer_reference: text(root, &["BuyerReference"]),
        order_reference: text(root, &["OrderReference", "ID"]),
        seller: ubl_party(at(root, &["AccountingSupplierParty", "Party"])),
        buyer: ubl_party(at(root, &["AccountingCustomerParty", "Party"])),
        lines,
        vat,
        totals: Totals {
            lines: opt_text(sums, &["LineExtensionAmount"]),
            allowances: opt_text(sums, &["AllowanceTotalAmount"]),
            charges: opt_text(sums, &["ChargeTotalAmount"]),
            net: opt_text(sums, &["TaxExclusiveAmount"]),
            vat: opt_text(main_tax, &["TaxAmount"]),
            gross: opt_text(sums, &["TaxInclusiveAmount"]),
            prepaid: opt_text(sums, &["PrepaidAmount"]),
            due: opt_text(sums, &["PayableAmount"]),
        },
        payment: Payment {
            means_code: opt_text(means, &["PaymentMeansCode"]),
            iban: opt_text(means, &["PayeeFinancialAccount", "ID"]),
            bic: opt_text(
                means,
                &["PayeeFinancialAccount", "FinancialInstitutionBranch", "ID"],
            ),
            account_name: opt_text(means, &["PayeeFinancialAccount", "Name"]),
            reference: opt_text(means, &["PaymentID"]),
            terms: text(root, &["PaymentTerms", "Note"]),
            due_date: text(root, &["DueDate"]),
        },
        notes: children(root, "Note")
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        specification: String::new(),
    }
}
