//! Scenario invoices built through the library API, covering every document type, VAT category and
//! specification the crate supports; each must pass the official oracle without a failed rule, and
//! read back to the model it was written from.

use std::fmt::Write as _;

use faktura_einvoice::builder::{InvoiceBuilder, LineBuilder};
use faktura_einvoice::codes::{
    InvoiceTypeCode, PaymentMeansCode, UnitCode, VatCategory, VatPointDateCode,
};
use faktura_einvoice::model::{
    Address, Buyer, Contact, Delivery, DirectDebit, Invoice, PaymentInstructions, Seller,
    VatBreakdown,
};
use faktura_einvoice::spec::{self, Specification, Target};
use faktura_einvoice::syntax::{self, Syntax};
use faktura_einvoice::{Amount, CountryCode, Date, Identifier, Percentage};
use rust_decimal::Decimal;

use crate::common::{oracle, scratch_dir};

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn date(y: i32, m: u8, day: u8) -> Date {
    Date::from_ymd(y, m, day).unwrap()
}

fn seller(country: &str, vat: Option<&str>) -> Seller {
    let mut s = Seller::new(
        "Faktura Test GmbH",
        Address::new("Hauptstraße 1", "Berlin", "10115", country),
    )
    .electronic_address("EM", "rechnung@faktura.example")
    .contact(Contact::new(
        "Erika Muster",
        "+49 30 1234567",
        "erika@faktura.example",
    ));
    s.vat_id = vat.map(str::to_owned);
    s.legal_registration = Some(Identifier::new("HRB 12345"));
    s
}

fn buyer(country: &str, vat: Option<&str>) -> Buyer {
    let mut b = Buyer::new(
        "Kunde AG",
        Address::new("Marktplatz 5", "Köln", "50667", country),
    )
    .electronic_address("EM", "einkauf@kunde.example");
    b.vat_id = vat.map(str::to_owned);
    b
}

fn sepa() -> PaymentInstructions {
    PaymentInstructions::credit_transfer(
        PaymentMeansCode::sepa_credit_transfer(),
        "DE75512108001245126199",
        Some("SSKMDEMMXXX"),
    )
}

/// The common frame: German seller and buyer, SEPA transfer, due date, terms, buyer reference.
fn base(number: &str, spec: &Specification) -> InvoiceBuilder {
    InvoiceBuilder::new(number, date(2025, 3, 14), "EUR")
        .specification(spec)
        .business_process("urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")
        .seller(seller("DE", Some("DE123456789")))
        .buyer(buyer("DE", Some("DE987654321")))
        .buyer_reference("04011000-12345-34")
        .due_date(date(2025, 4, 13))
        .payment_terms("Zahlbar innerhalb von 30 Tagen ohne Abzug")
        .payment(sepa())
}

fn line(
    id: &str,
    qty: &str,
    price: &str,
    category: VatCategory,
    rate: Option<&str>,
) -> LineBuilder {
    LineBuilder::new(
        id,
        d(qty),
        UnitCode::piece(),
        d(price),
        category,
        rate.map(d),
        format!("Artikel {id}"),
    )
}

fn s19(id: &str, qty: &str, price: &str) -> LineBuilder {
    line(id, qty, price, VatCategory::Standard, Some("19"))
}

struct Scenario {
    name: &'static str,
    syntax: Syntax,
    spec: Specification,
    invoice: Invoice,
}

fn scenarios() -> Vec<Scenario> {
    let xr = Specification::XRechnung;
    let en = Specification::En16931;
    let peppol = Specification::Peppol;
    let mut out = Vec::new();
    let mut add = |name: &'static str, syntax: Syntax, spec: &Specification, invoice: Invoice| {
        out.push(Scenario {
            name,
            syntax,
            spec: spec.clone(),
            invoice,
        });
    };

    add(
        "xr-ubl-380-standard",
        Syntax::Ubl,
        &xr,
        base("XR-1", &xr)
            .line(s19("1", "3", "19.99"))
            .line(s19("2", "1", "250"))
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-380-two-rates",
        Syntax::Cii,
        &xr,
        base("XR-2", &xr)
            .line(s19("1", "2", "100"))
            .line(line("2", "5", "3.33", VatCategory::Standard, Some("7")))
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-381-credit-note",
        Syntax::Ubl,
        &xr,
        base("XR-3", &xr)
            .type_code(InvoiceTypeCode::CreditNote)
            .preceding_invoice("XR-1", Some(date(2025, 3, 1)))
            .line(s19("1", "1", "49.50"))
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-381-credit-note",
        Syntax::Cii,
        &xr,
        base("XR-3C", &xr)
            .type_code(InvoiceTypeCode::CreditNote)
            .preceding_invoice("XR-2", Some(date(2025, 3, 2)))
            .line(s19("1", "2", "10"))
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-384-corrected",
        Syntax::Cii,
        &xr,
        base("XR-4", &xr)
            .type_code(InvoiceTypeCode::Corrected)
            .preceding_invoice("XR-2", Some(date(2025, 3, 2)))
            .line(s19("1", "2", "95"))
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-389-self-billed",
        Syntax::Ubl,
        &xr,
        base("XR-5", &xr)
            .type_code(InvoiceTypeCode::SelfBilled)
            .line(s19("1", "10", "12.5"))
            .build()
            .unwrap(),
    );
    add(
        "en-ubl-386-prepayment",
        Syntax::Ubl,
        &en,
        base("EN-6", &en)
            .type_code(InvoiceTypeCode::Prepayment)
            .line(s19("1", "1", "1000"))
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-326-partial",
        Syntax::Cii,
        &xr,
        base("XR-7", &xr)
            .type_code(InvoiceTypeCode::Partial)
            .invoicing_period(date(2025, 2, 1), date(2025, 2, 28))
            .line(s19("1", "40", "85"))
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-Z-zero-rated",
        Syntax::Ubl,
        &xr,
        base("XR-8", &xr)
            .line(line("1", "4", "2.50", VatCategory::ZeroRated, Some("0")))
            .line(s19("2", "1", "10"))
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-E-exempt",
        Syntax::Cii,
        &xr,
        base("XR-9", &xr)
            .line(line("1", "1", "120", VatCategory::Exempt, Some("0")))
            .exemption(
                VatCategory::Exempt,
                Some(d("0")),
                "Steuerfrei nach § 4 Nr. 14 UStG",
                None,
            )
            .build()
            .unwrap(),
    );
    add(
        "en-ubl-AE-reverse-charge",
        Syntax::Ubl,
        &en,
        base("EN-10", &en)
            .buyer(buyer("FR", Some("FR12345678901")))
            .line(line("1", "8", "75", VatCategory::ReverseCharge, Some("0")))
            .exemption(
                VatCategory::ReverseCharge,
                Some(d("0")),
                "Reverse charge",
                Some("VATEX-EU-AE"),
            )
            .build()
            .unwrap(),
    );
    let k_delivery = Delivery {
        actual_delivery_date: Some(date(2025, 3, 10)),
        address: Some(Address::new("Rue de la Paix 1", "Paris", "75002", "FR")),
        ..Delivery::default()
    };
    add(
        "en-cii-K-intra-community",
        Syntax::Cii,
        &en,
        base("EN-11", &en)
            .buyer(buyer("FR", Some("FR12345678901")))
            .delivery(k_delivery.clone())
            .line(line(
                "1",
                "100",
                "4.20",
                VatCategory::IntraCommunity,
                Some("0"),
            ))
            .exemption(
                VatCategory::IntraCommunity,
                Some(d("0")),
                "Intra-community supply",
                Some("VATEX-EU-IC"),
            )
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-K-intra-community",
        Syntax::Ubl,
        &xr,
        base("XR-11", &xr)
            .buyer(buyer("FR", Some("FR12345678901")))
            .delivery(k_delivery)
            .line(line(
                "1",
                "10",
                "42",
                VatCategory::IntraCommunity,
                Some("0"),
            ))
            .exemption(
                VatCategory::IntraCommunity,
                Some(d("0")),
                "Innergemeinschaftliche Lieferung",
                Some("VATEX-EU-IC"),
            )
            .build()
            .unwrap(),
    );
    add(
        "en-ubl-G-export",
        Syntax::Ubl,
        &en,
        base("EN-12", &en)
            .buyer(buyer("US", None))
            .line(line("1", "2", "1500", VatCategory::Export, Some("0")))
            .exemption(
                VatCategory::Export,
                Some(d("0")),
                "Export outside the EU",
                Some("VATEX-EU-G"),
            )
            .build()
            .unwrap(),
    );
    let mut o_seller = seller("DE", None);
    o_seller.legal_registration = Some(Identifier::new("HRB 12345"));
    add(
        "en-cii-O-not-subject",
        Syntax::Cii,
        &en,
        base("EN-13", &en)
            .seller(o_seller)
            .buyer(buyer("DE", None))
            .line(line("1", "1", "300", VatCategory::NotSubject, None))
            .exemption(
                VatCategory::NotSubject,
                None,
                "Not subject to VAT",
                Some("VATEX-EU-O"),
            )
            .build()
            .unwrap(),
    );
    add(
        "en-ubl-L-canary-islands",
        Syntax::Ubl,
        &en,
        base("EN-14", &en)
            .seller(seller("ES", Some("ESB12345678")))
            .buyer(buyer("ES", Some("ESA87654321")))
            .line(line(
                "1",
                "3",
                "33.33",
                VatCategory::CanaryIslands,
                Some("7"),
            ))
            .build()
            .unwrap(),
    );
    add(
        "en-cii-M-ceuta-melilla",
        Syntax::Cii,
        &en,
        base("EN-15", &en)
            .seller(seller("ES", Some("ESB12345678")))
            .buyer(buyer("ES", Some("ESA87654321")))
            .line(line("1", "2", "80", VatCategory::CeutaMelilla, Some("4")))
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-allowances-and-charges",
        Syntax::Ubl,
        &xr,
        base("XR-16", &xr)
            .line(
                s19("1", "10", "20")
                    .allowance(d("15"), "Mengenrabatt", "95")
                    .charge(d("2.50"), "Verpackung", "ABL"),
            )
            .line(line("2", "3", "9.90", VatCategory::Standard, Some("7")))
            .allowance(
                d("10"),
                VatCategory::Standard,
                Some(d("19")),
                "Treuerabatt",
                "95",
            )
            .charge(
                d("4.95"),
                VatCategory::Standard,
                Some(d("7")),
                "Versand",
                "FC",
            )
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-allowances-and-charges",
        Syntax::Cii,
        &xr,
        base("XR-16C", &xr)
            .line(s19("1", "10", "20").allowance(d("15"), "Mengenrabatt", "95"))
            .allowance(
                d("10"),
                VatCategory::Standard,
                Some(d("19")),
                "Treuerabatt",
                "95",
            )
            .charge(
                d("4.95"),
                VatCategory::Standard,
                Some(d("19")),
                "Versand",
                "FC",
            )
            .build()
            .unwrap(),
    );
    add(
        "xr-cii-prepaid-and-rounding",
        Syntax::Cii,
        &xr,
        base("XR-17", &xr)
            .line(s19("1", "1", "99.99"))
            .paid(d("50"))
            .rounding(d("0.01"))
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-prepaid-and-rounding",
        Syntax::Ubl,
        &xr,
        base("XR-17U", &xr)
            .line(s19("1", "1", "99.99"))
            .paid(d("50"))
            .rounding(d("0.01"))
            .build()
            .unwrap(),
    );
    add(
        "en-ubl-foreign-currency",
        Syntax::Ubl,
        &en,
        InvoiceBuilder::new("EN-18", date(2025, 3, 14), "USD")
            .specification(&en)
            .seller(seller("DE", Some("DE123456789")))
            .buyer(buyer("DE", Some("DE987654321")))
            .due_date(date(2025, 4, 13))
            .payment(sepa())
            .tax_currency("EUR", d("0.9215"))
            .line(s19("1", "7", "123.45"))
            .build()
            .unwrap(),
    );
    add(
        "en-cii-foreign-currency",
        Syntax::Cii,
        &en,
        InvoiceBuilder::new("EN-19", date(2025, 3, 14), "CHF")
            .specification(&en)
            .seller(seller("DE", Some("DE123456789")))
            .buyer(buyer("CH", None))
            .due_date(date(2025, 4, 13))
            .payment(sepa())
            .tax_currency("EUR", d("1.0642"))
            .line(s19("1", "3", "210"))
            .build()
            .unwrap(),
    );
    let mut pep_seller = seller("DE", Some("DE123456789"));
    pep_seller.electronic_address = Some(Identifier::with_scheme("DE123456789", "9930"));
    let mut pep_buyer = buyer("DE", Some("DE987654321"));
    pep_buyer.electronic_address = Some(Identifier::with_scheme("DE987654321", "9930"));
    add(
        "peppol-ubl-380",
        Syntax::Ubl,
        &peppol,
        base("P-20", &peppol)
            .seller(pep_seller.clone())
            .buyer(pep_buyer.clone())
            .line(s19("1", "5", "40"))
            .build()
            .unwrap(),
    );
    add(
        "peppol-ubl-381-credit-note",
        Syntax::Ubl,
        &peppol,
        base("P-21", &peppol)
            .seller(pep_seller)
            .buyer(pep_buyer)
            .type_code(InvoiceTypeCode::CreditNote)
            .preceding_invoice("P-20", Some(date(2025, 3, 1)))
            .line(s19("1", "1", "40"))
            .build()
            .unwrap(),
    );
    let basic = Specification::FacturXBasic;
    let mut basic_invoice = base("FX-22", &basic)
        .line(s19("1", "2", "15"))
        .build()
        .unwrap();
    basic_invoice.seller.contact = None;
    basic_invoice.payment_instructions = Some(PaymentInstructions::credit_transfer(
        PaymentMeansCode::sepa_credit_transfer(),
        "DE75512108001245126199",
        None,
    ));
    add("fx-basic-cii", Syntax::Cii, &basic, basic_invoice);
    add(
        "fx-en16931-cii",
        Syntax::Cii,
        &en,
        base("FX-23", &en)
            .note(Some("REG"), "Amtsgericht Berlin HRB 12345")
            .line(
                s19("1", "2", "15")
                    .period(date(2025, 2, 1), date(2025, 2, 28))
                    .description("Monatliche Wartung"),
            )
            .build()
            .unwrap(),
    );
    let ext = Specification::FacturXExtended;
    add(
        "fx-extended-cii",
        Syntax::Cii,
        &ext,
        base("FX-24", &ext)
            .line(s19("1", "1", "999"))
            .build()
            .unwrap(),
    );
    add(
        "fx-xrechnung-cii-price-details",
        Syntax::Cii,
        &xr,
        base("FX-25", &xr)
            .tax_point(None, Some(VatPointDateCode::DeliveryDate))
            .line(
                s19("1", "250", "0")
                    .gross_price(d("12.00"), d("1.50"))
                    .base_quantity(d("100"), UnitCode::piece()),
            )
            .build()
            .unwrap(),
    );
    add(
        "xr-ubl-price-details",
        Syntax::Ubl,
        &xr,
        base("XR-26", &xr)
            .line(
                s19("1", "250", "0")
                    .gross_price(d("12.00"), d("1.50"))
                    .base_quantity(d("100"), UnitCode::piece()),
            )
            .build()
            .unwrap(),
    );
    let mut debit = base("XR-27", &xr)
        .line(s19("1", "1", "59"))
        .build()
        .unwrap();
    debit.payment_instructions = Some(PaymentInstructions {
        means_code: PaymentMeansCode::sepa_direct_debit(),
        direct_debit: Some(DirectDebit {
            mandate_reference: Some("MANDATE-42".to_owned()),
            creditor_id: Some("DE98ZZZ09999999999".to_owned()),
            debited_account_id: Some("DE02120300000000202051".to_owned()),
        }),
        ..PaymentInstructions::default()
    });
    add("xr-cii-direct-debit", Syntax::Cii, &xr, debit.clone());
    add("xr-ubl-direct-debit", Syntax::Ubl, &xr, debit);

    // Factur-X BASIC WL and MINIMUM carry no lines: header and totals only.
    let header_only = |number: &str, spec: &Specification| {
        let mut inv = base(number, spec).build().unwrap();
        inv.totals.line_net_total = Amount(d("100.00"));
        inv.totals.total_without_vat = Amount(d("100.00"));
        inv.totals.vat_total = Some(Amount(d("19.00")));
        inv.totals.total_with_vat = Amount(d("119.00"));
        inv.totals.amount_due = Amount(d("119.00"));
        inv.vat_breakdown = vec![VatBreakdown {
            taxable_amount: Amount(d("100.00")),
            tax_amount: Amount(d("19.00")),
            category: VatCategory::Standard,
            rate: Some(Percentage(d("19"))),
            exemption_reason: None,
            exemption_reason_code: None,
        }];
        inv
    };
    let wl = Specification::FacturXBasicWl;
    let mut wl_invoice = header_only("FX-28", &wl);
    wl_invoice.seller.contact = None;
    wl_invoice.payment_instructions = Some(PaymentInstructions::credit_transfer(
        PaymentMeansCode::sepa_credit_transfer(),
        "DE75512108001245126199",
        None,
    ));
    add("fx-basic-wl-cii", Syntax::Cii, &wl, wl_invoice);
    let min = Specification::FacturXMinimum;
    let mut min_invoice = header_only("FX-29", &min);
    min_invoice.seller.contact = None;
    min_invoice.seller.electronic_address = None;
    min_invoice.buyer.electronic_address = None;
    min_invoice.payment_instructions = None;
    min_invoice.payment_terms = None;
    min_invoice.due_date = None;
    min_invoice.vat_breakdown.clear();
    min_invoice.totals.line_net_total = Amount::ZERO;
    min_invoice.buyer.vat_id = None;
    min_invoice.seller.address = Address {
        country: CountryCode::new("DE"),
        ..Default::default()
    };
    min_invoice.buyer.address = Address::default();
    add("fx-minimum-cii", Syntax::Cii, &min, min_invoice);
    out
}

#[test]
fn scenario_invoices_pass_the_official_rules() {
    let all = scenarios();
    assert!(all.len() >= 25, "{} scenarios", all.len());
    let dir = scratch_dir("scenarios");
    let mut problems = String::new();
    let mut files = Vec::new();
    for s in &all {
        let target = Target {
            syntax: s.syntax,
            specification: Some(s.spec.clone()),
        };
        let xml = match spec::convert(&s.invoice, &target) {
            Ok(x) => x,
            Err(e) => {
                let _ = writeln!(problems, "{}: not written: {e}", s.name);
                continue;
            }
        };
        let path = dir.join(format!("{}.xml", s.name));
        std::fs::write(&path, &xml).unwrap();
        match syntax::read(xml.as_bytes()) {
            Ok(back) if back.invoice == s.invoice => {}
            Ok(_) => {
                let _ = writeln!(problems, "{}: reads back to a different model", s.name);
            }
            Err(e) => {
                let _ = writeln!(problems, "{}: does not read back: {e}", s.name);
            }
        }
        files.push(path);
    }
    for v in oracle(&files) {
        if !v.failed.is_empty() {
            let _ = writeln!(
                problems,
                "{}: official rules fail: {}",
                v.file,
                v.failed.join(",")
            );
        }
    }
    assert!(problems.is_empty(), "scenario problems:\n{problems}");
}
