//! Typed code lists: UNTDID 1001, 5305, 4461, 5189/7161, 2005/2475, ISO 4217,
//! ISO 3166-1, UN/ECE Rec 20, EAS and ISO 6523 ICD.
//!
//! Every code type keeps unknown codes representable (`Other(String)` or an
//! open newtype), so a reader never loses a code; the validator judges them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codelists_data as lists;

fn in_list(list: &[&str], code: &str) -> bool {
    list.binary_search(&code).is_ok()
}

macro_rules! code_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $code:literal ),* $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
            /// A code this list does not name (kept as read; the validator judges it).
            Other(String),
        }

        impl $name {
            /// The code as written in the XML.
            pub fn code(&self) -> &str {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Other(code) => code,
                }
            }

            /// Reads a code; unknown codes become [`Self::Other`].
            pub fn from_code(code: &str) -> Self {
                match code.trim() {
                    $( $code => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = String::deserialize(deserializer)?;
                Ok(Self::from_code(&code))
            }
        }
    };
}

macro_rules! open_code {
    ($(#[$doc:meta])* $name:ident, $list:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a code as read or given (unknown codes are kept).
            pub fn new(code: impl Into<String>) -> Self {
                Self(code.into())
            }

            /// The code.
            pub fn code(&self) -> &str {
                &self.0
            }

            /// Whether the code is in the list the EN 16931 rules accept.
            pub fn is_known(&self) -> bool {
                in_list($list, &self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(code: &str) -> Self {
                Self(code.to_owned())
            }
        }
    };
}

code_enum! {
    /// Invoice type code (BT-3), UNTDID 1001.
    InvoiceTypeCode {
        /// 380 Commercial invoice.
        Commercial = "380",
        /// 381 Credit note.
        CreditNote = "381",
        /// 383 Debit note.
        DebitNote = "383",
        /// 384 Corrected invoice.
        Corrected = "384",
        /// 386 Prepayment invoice.
        Prepayment = "386",
        /// 389 Self-billed invoice.
        SelfBilled = "389",
        /// 326 Partial invoice.
        Partial = "326",
        /// 261 Self billed credit note.
        SelfBilledCreditNote = "261",
        /// 751 Invoice information for accounting purposes.
        AccountingInformation = "751",
        /// 875 Partial construction invoice.
        PartialConstruction = "875",
        /// 876 Partial final construction invoice.
        PartialFinalConstruction = "876",
        /// 877 Final construction invoice.
        FinalConstruction = "877",
    }
}

impl InvoiceTypeCode {
    /// Whether the code is in the UNTDID 1001 subset EN 16931 accepts (BR-CL-01).
    pub fn is_known(&self) -> bool {
        in_list(lists::INVOICE_TYPE_CODES, self.code())
    }

    /// Whether UBL carries this type as a `CreditNote` document (codes 81, 83, 261, 262, 296, 308, 381, 396, 420, 458, 532).
    pub fn is_credit_note_type(&self) -> bool {
        matches!(
            self.code(),
            "81" | "83" | "261" | "262" | "296" | "308" | "381" | "396" | "420" | "458" | "532"
        )
    }
}

code_enum! {
    /// VAT category code (BT-95, BT-102, BT-118, BT-151), UNTDID 5305 subset.
    VatCategory {
        /// S Standard rate.
        Standard = "S",
        /// Z Zero rated goods.
        ZeroRated = "Z",
        /// E Exempt from tax.
        Exempt = "E",
        /// AE VAT reverse charge.
        ReverseCharge = "AE",
        /// K VAT exempt for EEA intra-community supply.
        IntraCommunity = "K",
        /// G Free export item, VAT not charged.
        Export = "G",
        /// O Services outside scope of tax.
        NotSubject = "O",
        /// L Canary Islands general indirect tax (IGIC).
        CanaryIslands = "L",
        /// M Tax for production, services and importation in Ceuta and Melilla (IPSI).
        CeutaMelilla = "M",
        /// B Transferred (VAT), Italy only.
        Transferred = "B",
    }
}

impl VatCategory {
    /// Whether the code is one EN 16931 accepts (BR-CL-17/18).
    pub fn is_known(&self) -> bool {
        in_list(lists::VAT_CATEGORY_CODES, self.code())
    }
}

code_enum! {
    /// VAT point date code (BT-8). UBL writes UNTDID 2005 (3, 35, 432), CII writes UNTDID 2475 (5, 29, 72);
    /// the model holds the meaning and each syntax maps it.
    VatPointDateCode {
        /// Invoice document issue date (UBL 3, CII 5).
        IssueDate = "3",
        /// Delivery date, actual (UBL 35, CII 29).
        DeliveryDate = "35",
        /// Paid to date (UBL 432, CII 72).
        PaidToDate = "432",
    }
}

impl VatPointDateCode {
    /// The UNTDID 2475 code CII uses, or the raw code for unknown values.
    pub fn cii_code(&self) -> &str {
        match self {
            Self::IssueDate => "5",
            Self::DeliveryDate => "29",
            Self::PaidToDate => "72",
            Self::Other(code) => code,
        }
    }

    /// Reads the UNTDID 2475 code CII uses.
    pub fn from_cii_code(code: &str) -> Self {
        match code.trim() {
            "5" => Self::IssueDate,
            "29" => Self::DeliveryDate,
            "72" => Self::PaidToDate,
            other => Self::Other(other.to_owned()),
        }
    }
}

open_code!(
    /// ISO 4217 alpha-3 currency code (BT-5, BT-6), e.g. `EUR`.
    CurrencyCode,
    lists::CURRENCY_CODES
);
open_code!(
    /// ISO 3166-1 alpha-2 country code (BT-40, BT-55, BT-159 …), e.g. `DE`.
    CountryCode,
    lists::COUNTRY_CODES
);
open_code!(
    /// UN/ECE Recommendation 20 (with Rec 21) unit of measure (BT-130, BT-150), e.g. `C62`, `HUR`.
    UnitCode,
    lists::UNIT_CODES
);
open_code!(
    /// UNTDID 4461 payment means code (BT-81), e.g. `58` SEPA credit transfer.
    PaymentMeansCode,
    lists::PAYMENT_MEANS_CODES
);
open_code!(
    /// UNTDID 5189 allowance reason code (BT-98, BT-140), e.g. `95` discount.
    AllowanceReasonCode,
    lists::ALLOWANCE_REASON_CODES
);
open_code!(
    /// UNTDID 7161 charge reason code (BT-105, BT-145), e.g. `FC` freight service.
    ChargeReasonCode,
    lists::CHARGE_REASON_CODES
);
open_code!(
    /// CEF EAS electronic address scheme (BT-34-1, BT-49-1), e.g. `9930` German VAT, `EM` e-mail.
    EasCode,
    lists::EAS_CODES
);
open_code!(
    /// ISO 6523 ICD identification scheme code (BT-29-1, BT-30-1 …), e.g. `0088` GLN.
    IcdCode,
    lists::ICD_CODES
);
open_code!(
    /// CEF VATEX exemption reason code (BT-121), e.g. `VATEX-EU-AE`.
    VatExemptionCode,
    lists::VATEX_CODES
);
open_code!(
    /// UNTDID 7143 item classification scheme (BT-158-1), e.g. `STI`.
    ItemClassificationScheme,
    lists::ITEM_CLASSIFICATION_SCHEMES
);

impl PaymentMeansCode {
    /// 30 Credit transfer.
    pub fn credit_transfer() -> Self {
        Self::new("30")
    }
    /// 58 SEPA credit transfer.
    pub fn sepa_credit_transfer() -> Self {
        Self::new("58")
    }
    /// 59 SEPA direct debit.
    pub fn sepa_direct_debit() -> Self {
        Self::new("59")
    }
    /// 48 Bank card.
    pub fn bank_card() -> Self {
        Self::new("48")
    }
}

impl UnitCode {
    /// C62 One (piece).
    pub fn piece() -> Self {
        Self::new("C62")
    }
    /// HUR Hour.
    pub fn hour() -> Self {
        Self::new("HUR")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_survive() {
        let code = VatCategory::from_code("XX");
        assert_eq!(code, VatCategory::Other("XX".to_owned()));
        assert_eq!(code.code(), "XX");
        assert!(!code.is_known());
        assert!(VatCategory::from_code("AE").is_known());
        assert_eq!(
            InvoiceTypeCode::from_code("384"),
            InvoiceTypeCode::Corrected
        );
    }

    #[test]
    fn code_lists_are_sorted_for_binary_search() {
        for list in [
            lists::CURRENCY_CODES,
            lists::COUNTRY_CODES,
            lists::UNIT_CODES,
            lists::EAS_CODES,
            lists::ICD_CODES,
            lists::PAYMENT_MEANS_CODES,
            lists::INVOICE_TYPE_CODES,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(CurrencyCode::new("EUR").is_known());
        assert!(!CurrencyCode::new("EURO").is_known());
        assert!(CountryCode::new("DE").is_known());
        assert!(UnitCode::piece().is_known());
        assert!(EasCode::new("9930").is_known());
    }

    #[test]
    fn vat_point_codes_map_between_syntaxes() {
        assert_eq!(
            VatPointDateCode::from_cii_code("29"),
            VatPointDateCode::DeliveryDate
        );
        assert_eq!(VatPointDateCode::DeliveryDate.code(), "35");
        assert_eq!(VatPointDateCode::PaidToDate.cii_code(), "72");
    }
}
