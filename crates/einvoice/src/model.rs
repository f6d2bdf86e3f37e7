//! The EN 16931 semantic model: one Rust type per business group (BG-…),
//! one field per business term (BT-…).
//!
//! The model is syntax-neutral: UBL and CII readers fill it, writers emit it.
//! Field docs name the business term they hold. Optional terms are `Option`
//! or empty `Vec`; terms the standard requires are plain fields (a reader
//! that finds them missing leaves them empty and the validator reports it).

use serde::{Deserialize, Serialize};

use crate::codes::{
    AllowanceReasonCode, ChargeReasonCode, CountryCode, CurrencyCode, InvoiceTypeCode,
    PaymentMeansCode, UnitCode, VatCategory, VatExemptionCode, VatPointDateCode,
};
use crate::types::{Amount, Date, Identifier, Percentage, Quantity, UnitPrice};

/// An invoice or credit note (BG-0): the root of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// BT-1 Invoice number.
    pub number: String,
    /// BT-2 Invoice issue date.
    pub issue_date: Date,
    /// BT-3 Invoice type code.
    pub type_code: InvoiceTypeCode,
    /// BT-5 Invoice currency code.
    pub currency: CurrencyCode,
    /// BT-6 VAT accounting currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_currency: Option<CurrencyCode>,
    /// BT-7 Value added tax point date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_point_date: Option<Date>,
    /// BT-8 Value added tax point date code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_point_date_code: Option<VatPointDateCode>,
    /// BT-9 Payment due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// BT-10 Buyer reference (the German Leitweg-ID in XRechnung).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_reference: Option<String>,
    /// BT-11 Project reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_reference: Option<String>,
    /// BT-12 Contract reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_reference: Option<String>,
    /// BT-13 Purchase order reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_order_reference: Option<String>,
    /// BT-14 Sales order reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_order_reference: Option<String>,
    /// BT-15 Receiving advice reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_advice_reference: Option<String>,
    /// BT-16 Despatch advice reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub despatch_advice_reference: Option<String>,
    /// BT-17 Tender or lot reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tender_or_lot_reference: Option<String>,
    /// BT-18 Invoiced object identifier, with BT-18-1 its scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoiced_object_identifier: Option<Identifier>,
    /// BT-19 Buyer accounting reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_accounting_reference: Option<String>,
    /// BT-20 Payment terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    /// BG-1 Invoice notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// BG-2 Process control.
    pub process: ProcessControl,
    /// BG-3 Preceding invoice references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preceding_invoices: Vec<PrecedingInvoice>,
    /// BG-4 Seller.
    pub seller: Seller,
    /// BG-7 Buyer.
    pub buyer: Buyer,
    /// BG-10 Payee, when different from the seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Payee>,
    /// BG-11 Seller tax representative party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_representative: Option<TaxRepresentative>,
    /// BG-13 Delivery information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// BG-14 Invoicing period (document level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoicing_period: Option<Period>,
    /// BG-16 Payment instructions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_instructions: Option<PaymentInstructions>,
    /// BG-20 Document level allowances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances: Vec<DocumentAllowanceCharge>,
    /// BG-21 Document level charges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<DocumentAllowanceCharge>,
    /// BG-22 Document totals.
    pub totals: DocumentTotals,
    /// BG-23 VAT breakdown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vat_breakdown: Vec<VatBreakdown>,
    /// BG-24 Additional supporting documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supporting_documents: Vec<SupportingDocument>,
    /// BG-25 Invoice lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<InvoiceLine>,
}

/// BG-1 Invoice note.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Note {
    /// BT-21 Invoice note subject code (UNTDID 4451, e.g. `AAI`, `REG`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_code: Option<String>,
    /// BT-22 Invoice note.
    pub text: String,
}

/// BG-2 Process control.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProcessControl {
    /// BT-23 Business process type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_process: Option<String>,
    /// BT-24 Specification identifier (e.g. `urn:cen.eu:en16931:2017`).
    pub specification: String,
}

/// BG-3 Preceding invoice reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrecedingInvoice {
    /// BT-25 Preceding invoice reference.
    pub number: String,
    /// BT-26 Preceding invoice issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<Date>,
}

/// A postal address (BG-5, BG-8, BG-12, BG-15).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// BT-35/50/64/75 Address line 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    /// BT-36/51/65/76 Address line 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// BT-162/163/164/165 Address line 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line3: Option<String>,
    /// BT-37/52/66/77 City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// BT-38/53/67/78 Post code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_code: Option<String>,
    /// BT-39/54/68/79 Country subdivision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdivision: Option<String>,
    /// BT-40/55/69/80 Country code.
    pub country: CountryCode,
}

/// A contact (BG-6 seller contact, BG-9 buyer contact).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    /// BT-41/56 Contact point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// BT-42/57 Contact telephone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// BT-43/58 Contact email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// BG-4 Seller.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Seller {
    /// BT-27 Seller name.
    pub name: String,
    /// BT-28 Seller trading name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trading_name: Option<String>,
    /// BT-29 Seller identifiers, with BT-29-1 schemes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
    /// BT-30 Seller legal registration identifier, with BT-30-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_registration: Option<Identifier>,
    /// BT-31 Seller VAT identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// BT-32 Seller tax registration identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_registration_id: Option<String>,
    /// BT-33 Seller additional legal information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_legal_info: Option<String>,
    /// BT-34 Seller electronic address, with BT-34-1 scheme (EAS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electronic_address: Option<Identifier>,
    /// BG-5 Seller postal address.
    pub address: Address,
    /// BG-6 Seller contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// BG-7 Buyer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Buyer {
    /// BT-44 Buyer name.
    pub name: String,
    /// BT-45 Buyer trading name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trading_name: Option<String>,
    /// BT-46 Buyer identifier, with BT-46-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// BT-47 Buyer legal registration identifier, with BT-47-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_registration: Option<Identifier>,
    /// BT-48 Buyer VAT identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    /// BT-49 Buyer electronic address, with BT-49-1 scheme (EAS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electronic_address: Option<Identifier>,
    /// BG-8 Buyer postal address.
    pub address: Address,
    /// BG-9 Buyer contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// BG-10 Payee.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Payee {
    /// BT-59 Payee name.
    pub name: String,
    /// BT-60 Payee identifier, with BT-60-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// BT-61 Payee legal registration identifier, with BT-61-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_registration: Option<Identifier>,
}

/// BG-11 Seller tax representative party.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaxRepresentative {
    /// BT-62 Seller tax representative name.
    pub name: String,
    /// BT-63 Seller tax representative VAT identifier.
    pub vat_id: String,
    /// BG-12 Seller tax representative postal address.
    pub address: Address,
}

/// BG-13 Delivery information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Delivery {
    /// BT-70 Deliver to party name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_name: Option<String>,
    /// BT-71 Deliver to location identifier, with BT-71-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<Identifier>,
    /// BT-72 Actual delivery date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_delivery_date: Option<Date>,
    /// BG-15 Deliver to address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// A period (BG-14 invoicing period, BG-26 invoice line period).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Period {
    /// BT-73/134 Start date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Date>,
    /// BT-74/135 End date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
}

/// BG-16 Payment instructions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentInstructions {
    /// BT-81 Payment means type code.
    pub means_code: PaymentMeansCode,
    /// BT-82 Payment means text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub means_text: Option<String>,
    /// BT-83 Remittance information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remittance_information: Option<String>,
    /// BG-17 Credit transfers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credit_transfers: Vec<CreditTransfer>,
    /// BG-18 Payment card information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<PaymentCard>,
    /// BG-19 Direct debit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_debit: Option<DirectDebit>,
}

/// BG-17 Credit transfer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CreditTransfer {
    /// BT-84 Payment account identifier (IBAN or proprietary).
    pub account_id: String,
    /// BT-85 Payment account name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// BT-86 Payment service provider identifier (BIC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider_id: Option<String>,
}

/// BG-18 Payment card information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentCard {
    /// BT-87 Payment card primary account number (at most the last digits, per the rules).
    pub primary_account_number: String,
    /// BT-88 Payment card holder name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
}

/// BG-19 Direct debit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirectDebit {
    /// BT-89 Mandate reference identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate_reference: Option<String>,
    /// BT-90 Bank assigned creditor identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creditor_id: Option<String>,
    /// BT-91 Debited account identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debited_account_id: Option<String>,
}

/// Whether an allowance/charge reason code is UNTDID 5189 (allowance) or 7161 (charge).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "list", content = "code")]
pub enum ReasonCode {
    /// UNTDID 5189 allowance reason.
    Allowance(AllowanceReasonCode),
    /// UNTDID 7161 charge reason.
    Charge(ChargeReasonCode),
}

impl ReasonCode {
    /// The code as written.
    pub fn code(&self) -> &str {
        match self {
            Self::Allowance(code) => code.code(),
            Self::Charge(code) => code.code(),
        }
    }
}

/// BG-20 Document level allowance or BG-21 document level charge (which one follows from the list it is in).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DocumentAllowanceCharge {
    /// BT-92/99 Amount.
    pub amount: Amount,
    /// BT-93/100 Base amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Amount>,
    /// BT-94/101 Percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Percentage>,
    /// BT-95/102 VAT category code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_category: Option<VatCategory>,
    /// BT-96/103 VAT rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<Percentage>,
    /// BT-97/104 Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BT-98/105 Reason code (UNTDID 5189 for allowances, 7161 for charges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<ReasonCode>,
}

/// BG-22 Document totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DocumentTotals {
    /// BT-106 Sum of invoice line net amount.
    pub line_net_total: Amount,
    /// BT-107 Sum of allowances on document level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowance_total: Option<Amount>,
    /// BT-108 Sum of charges on document level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_total: Option<Amount>,
    /// BT-109 Invoice total amount without VAT.
    pub total_without_vat: Amount,
    /// BT-110 Invoice total VAT amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_total: Option<Amount>,
    /// BT-111 Invoice total VAT amount in accounting currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_total_accounting: Option<Amount>,
    /// BT-112 Invoice total amount with VAT.
    pub total_with_vat: Amount,
    /// BT-113 Paid amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<Amount>,
    /// BT-114 Rounding amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding: Option<Amount>,
    /// BT-115 Amount due for payment.
    pub amount_due: Amount,
}

/// BG-23 VAT breakdown: one per VAT category and rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// BT-116 VAT category taxable amount.
    pub taxable_amount: Amount,
    /// BT-117 VAT category tax amount.
    pub tax_amount: Amount,
    /// BT-118 VAT category code.
    pub category: VatCategory,
    /// BT-119 VAT category rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Percentage>,
    /// BT-120 VAT exemption reason text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption_reason: Option<String>,
    /// BT-121 VAT exemption reason code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption_reason_code: Option<VatExemptionCode>,
}

/// BG-24 Additional supporting document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SupportingDocument {
    /// BT-122 Supporting document reference.
    pub reference: String,
    /// BT-123 Supporting document description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// BT-124 External document location (URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_location: Option<String>,
    /// BT-125 Attached document, with BT-125-1 MIME code and BT-125-2 file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// BT-125 Attached document: base64 content as it appeared, with MIME code and file name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attachment {
    /// The base64 text (kept encoded; the model does not decode attachments).
    pub content_base64: String,
    /// BT-125-1 Attached document MIME code.
    pub mime_code: String,
    /// BT-125-2 Attached document filename.
    pub filename: String,
}

/// BG-25 Invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// BT-126 Invoice line identifier.
    pub id: String,
    /// BT-127 Invoice line note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// BT-128 Invoice line object identifier, with BT-128-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_identifier: Option<Identifier>,
    /// BT-129 Invoiced quantity.
    pub quantity: Quantity,
    /// BT-130 Invoiced quantity unit of measure code.
    pub unit: UnitCode,
    /// BT-131 Invoice line net amount.
    pub net_amount: Amount,
    /// BT-132 Referenced purchase order line reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line_reference: Option<String>,
    /// BT-133 Invoice line buyer accounting reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_accounting_reference: Option<String>,
    /// BG-26 Invoice line period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// BG-27 Invoice line allowances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances: Vec<LineAllowanceCharge>,
    /// BG-28 Invoice line charges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<LineAllowanceCharge>,
    /// BG-29 Price details.
    pub price: PriceDetails,
    /// BG-30 Line VAT information.
    pub vat: LineVat,
    /// BG-31 Item information.
    pub item: Item,
}

/// BG-27 Invoice line allowance or BG-28 invoice line charge.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LineAllowanceCharge {
    /// BT-136/141 Amount.
    pub amount: Amount,
    /// BT-137/142 Base amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_amount: Option<Amount>,
    /// BT-138/143 Percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<Percentage>,
    /// BT-139/144 Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// BT-140/145 Reason code (UNTDID 5189 for allowances, 7161 for charges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<ReasonCode>,
}

/// BG-29 Price details.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PriceDetails {
    /// BT-146 Item net price.
    pub net_price: UnitPrice,
    /// BT-147 Item price discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<UnitPrice>,
    /// BT-148 Item gross price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_price: Option<UnitPrice>,
    /// BT-149 Item price base quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_quantity: Option<Quantity>,
    /// BT-150 Item price base quantity unit of measure code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_quantity_unit: Option<UnitCode>,
}

/// BG-30 Line VAT information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineVat {
    /// BT-151 Invoiced item VAT category code.
    pub category: VatCategory,
    /// BT-152 Invoiced item VAT rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Percentage>,
}

/// BG-31 Item information.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Item {
    /// BT-153 Item name.
    pub name: String,
    /// BT-154 Item description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// BT-155 Item Seller's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// BT-156 Item Buyer's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<String>,
    /// BT-157 Item standard identifier, with BT-157-1 scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_id: Option<Identifier>,
    /// BT-158 Item classification identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<Classification>,
    /// BT-159 Item country of origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_country: Option<CountryCode>,
    /// BG-32 Item attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<ItemAttribute>,
}

/// BT-158 Item classification identifier with BT-158-1 scheme and BT-158-2 scheme version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Classification {
    /// BT-158 Item classification identifier.
    pub code: String,
    /// BT-158-1 Scheme identifier (UNTDID 7143).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// BT-158-2 Scheme version identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_version: Option<String>,
}

/// BG-32 Item attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ItemAttribute {
    /// BT-160 Item attribute name.
    pub name: String,
    /// BT-161 Item attribute value.
    pub value: String,
}

impl Invoice {
    /// An invoice with the mandatory header terms set and everything else empty.
    ///
    /// Add parties, lines and payment details, then call [`Invoice::compute_totals`]
    /// (or use [`crate::builder::InvoiceBuilder`], which does both).
    pub fn new(
        number: impl Into<String>,
        issue_date: Date,
        type_code: InvoiceTypeCode,
        currency: CurrencyCode,
    ) -> Self {
        Self {
            number: number.into(),
            issue_date,
            type_code,
            currency,
            tax_currency: None,
            tax_point_date: None,
            tax_point_date_code: None,
            due_date: None,
            buyer_reference: None,
            project_reference: None,
            contract_reference: None,
            purchase_order_reference: None,
            sales_order_reference: None,
            receiving_advice_reference: None,
            despatch_advice_reference: None,
            tender_or_lot_reference: None,
            invoiced_object_identifier: None,
            buyer_accounting_reference: None,
            payment_terms: None,
            notes: Vec::new(),
            process: ProcessControl::default(),
            preceding_invoices: Vec::new(),
            seller: Seller::default(),
            buyer: Buyer::default(),
            payee: None,
            tax_representative: None,
            delivery: None,
            invoicing_period: None,
            payment_instructions: None,
            allowances: Vec::new(),
            charges: Vec::new(),
            totals: DocumentTotals::default(),
            vat_breakdown: Vec::new(),
            supporting_documents: Vec::new(),
            lines: Vec::new(),
        }
    }
}

impl InvoiceLine {
    /// A line with the mandatory terms set; net amount zero until computed.
    pub fn new(
        id: impl Into<String>,
        quantity: Quantity,
        unit: UnitCode,
        net_price: UnitPrice,
        vat: LineVat,
        item_name: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            note: None,
            object_identifier: None,
            quantity,
            unit,
            net_amount: Amount::ZERO,
            order_line_reference: None,
            buyer_accounting_reference: None,
            period: None,
            allowances: Vec::new(),
            charges: Vec::new(),
            price: PriceDetails {
                net_price,
                ..PriceDetails::default()
            },
            vat,
            item: Item {
                name: item_name.into(),
                ..Item::default()
            },
        }
    }
}
