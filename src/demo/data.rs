//! The demo's data set: buying units, suppliers, and the goods each tender buys. Names and
//! items read like the real thing, and each tender's suppliers are in its trade; RFCs are
//! made up, their check digits computed.

/// A buying unit: code, name, and its RFC without the check digit.
pub struct AgencyData {
    pub code: &'static str,
    pub name: &'static str,
    pub rfc_body: &'static str,
}

pub const AGENCIES: &[AgencyData] = &[
    AgencyData {
        code: "SEP",
        name: "Secretaría de Educación Pública",
        rfc_body: "SEP210905AB",
    },
    AgencyData {
        code: "IMSS",
        name: "Instituto Mexicano del Seguro Social",
        rfc_body: "IMS421231I4",
    },
    AgencyData {
        code: "SSA",
        name: "Secretaría de Salud",
        rfc_body: "SSA630502CU",
    },
    AgencyData {
        code: "SHCP",
        name: "Secretaría de Hacienda y Crédito Público",
        rfc_body: "SHC820101AB",
    },
    AgencyData {
        code: "CFE",
        name: "Comisión Federal de Electricidad",
        rfc_body: "CFE370814QI",
    },
    AgencyData {
        code: "SICT",
        name: "Secretaría de Infraestructura, Comunicaciones y Transportes",
        rfc_body: "SIC850513KD",
    },
    AgencyData {
        code: "CONAGUA",
        name: "Comisión Nacional del Agua",
        rfc_body: "CNA890116SH",
    },
];

/// A supplier: its RFC without the check digit, name, size and lines of business.
pub struct SupplierData {
    pub rfc_body: &'static str,
    pub legal_name: &'static str,
    pub size: &'static str,
    pub codes: &'static [&'static str],
}

const fn s(
    rfc_body: &'static str,
    legal_name: &'static str,
    size: &'static str,
    codes: &'static [&'static str],
) -> SupplierData {
    SupplierData {
        rfc_body,
        legal_name,
        size,
        codes,
    }
}

pub const SUPPLIERS: &[SupplierData] = &[
    s(
        "PSC120315AB",
        "Papelería y Suministros del Centro, S.A. de C.V.",
        "small",
        &["21101"],
    ),
    s(
        "CGO080722KL",
        "Comercializadora Gómez Ortega, S.A. de C.V.",
        "medium",
        &["21101", "21601"],
    ),
    s(
        "MOB050211TR",
        "Mobiliario de Oficina del Bajío, S.A. de C.V.",
        "medium",
        &["51101"],
    ),
    s(
        "IMN990430QW",
        "Industrias Metálicas del Norte, S.A. de C.V.",
        "large",
        &["51101", "29101"],
    ),
    s(
        "DFA150918HJ",
        "Distribuidora Farmacéutica del Altiplano, S.A. de C.V.",
        "large",
        &["25301", "25401"],
    ),
    s(
        "LMP110604ZX",
        "Laboratorios y Medicamentos del Pacífico, S.A. de C.V.",
        "medium",
        &["25301"],
    ),
    s(
        "MQS070125BN",
        "Material Quirúrgico y de Curación del Sureste, S.A. de C.V.",
        "small",
        &["25401"],
    ),
    s(
        "TIN160809CV",
        "Tecnología e Informática del Noreste, S.A. de C.V.",
        "medium",
        &["51501", "35301"],
    ),
    s(
        "SCD100317DF",
        "Soluciones en Cómputo y Datos, S.A. de C.V.",
        "large",
        &["51501", "59701"],
    ),
    s(
        "RTA130228GH",
        "Redes y Telecomunicaciones de Aguascalientes, S.A. de C.V.",
        "small",
        &["56501", "31701"],
    ),
    s(
        "LHL090514JK",
        "Limpieza e Higiene Laboral, S.A. de C.V.",
        "medium",
        &["21601", "35801"],
    ),
    s(
        "SLO140711LZ",
        "Servicios de Limpieza de Occidente, S.A. de C.V.",
        "small",
        &["21601", "35801"],
    ),
    s(
        "ECS060930MN",
        "Eléctrica y Construcciones del Sur, S.A. de C.V.",
        "medium",
        &["24601", "62202", "35101"],
    ),
    s(
        "IEM180222PQ",
        "Iluminación Eficiente de México, S.A. de C.V.",
        "small",
        &["24601"],
    ),
    s(
        "CDV041103RS",
        "Combustibles del Valle, S.A. de C.V.",
        "large",
        &["26102", "26103"],
    ),
    s(
        "UIN120806TU",
        "Uniformes Institucionales, S.A. de C.V.",
        "small",
        &["27101", "27201"],
    ),
    s(
        "SPS170419VW",
        "Seguridad y Protección de Sinaloa, S.A. de C.V.",
        "medium",
        &["33801", "27201"],
    ),
    s(
        "AMR081215XY",
        "Arrendadora de Movilidad Regional, S.A. de C.V.",
        "large",
        &["32505", "54104", "35501"],
    ),
    s(
        "AVO101021ZA",
        "Automotriz del Valle de Orizaba, S.A. de C.V.",
        "medium",
        &["54104", "35501", "32505"],
    ),
    s(
        "CAL150302BC",
        "Café y Alimentos de Chiapas, S.A. de C.V.",
        "micro",
        &["22104"],
    ),
    s(
        "ADQ110127DE",
        "Agua Purificada de Querétaro, S.A. de C.V.",
        "micro",
        &["22104"],
    ),
    s(
        "CSI050616FG",
        "Consultoría en Sistemas de Información, S.C.",
        "small",
        &["33301", "33304"],
    ),
    s(
        "DSW190903HI",
        "Desarrollo de Software Web, S.A.P.I. de C.V.",
        "small",
        &["33301"],
    ),
    s(
        "ARC160125JK",
        "Asesores en Riesgos y Control, S.C.",
        "micro",
        &["33104"],
    ),
    s(
        "EAS130710LM",
        "Estudios Ambientales y Sociales, S.C.",
        "small",
        &["33501"],
    ),
    s(
        "MAQ070807NO",
        "Mantenimiento y Aire Acondicionado de Querétaro, S.A. de C.V.",
        "small",
        &["35301", "35101"],
    ),
    s(
        "PCO091118PQ",
        "Pinturas y Construcciones de Oaxaca, S.A. de C.V.",
        "medium",
        &["35101", "62202"],
    ),
    s(
        "HMT040505RS",
        "Herramientas y Maquinaria de Toluca, S.A. de C.V.",
        "small",
        &["29101"],
    ),
    s(
        "AVM120930TU",
        "Audio y Video Multimedia, S.A. de C.V.",
        "micro",
        &["52101"],
    ),
    s(
        "GVS181016VW",
        "Grupo Viajes y Servicios Turísticos, S.A. de C.V.",
        "medium",
        &["37104"],
    ),
    s(
        "GOMJ800101AB",
        "Juan Gómez Martínez",
        "micro",
        &["21101", "33104"],
    ),
    s(
        "RAHL850612CD",
        "Laura Ramírez Hernández",
        "micro",
        &["33501"],
    ),
    s("TOSM770318EF", "Miguel Torres Sánchez", "micro", &["35501"]),
    s(
        "CEDA900827GH",
        "Ana Cervantes Domínguez",
        "micro",
        &["35801", "21601"],
    ),
    s(
        "MEE110420AA",
        "Muebles y Equipamiento Escolar de Puebla, S.A. de C.V.",
        "medium",
        &["51101"],
    ),
    s(
        "PPD170605BB",
        "Proyección y Pantallas Digitales, S.A. de C.V.",
        "small",
        &["52101"],
    ),
    s(
        "SAC130915CC",
        "Sistemas Audiovisuales del Centro, S.A. de C.V.",
        "small",
        &["52101"],
    ),
    s(
        "FNG080312DD",
        "Farmacéutica Nacional de Genéricos, S.A. de C.V.",
        "large",
        &["25301", "25401"],
    ),
    s(
        "CIG101110EE",
        "Constructora e Instalaciones del Golfo, S.A. de C.V.",
        "medium",
        &["62202", "24601"],
    ),
    s(
        "RVE150127FF",
        "Renta de Vehículos Ejecutivos, S.A. de C.V.",
        "medium",
        &["32505", "35501"],
    ),
    s(
        "CRE120814GG",
        "Cómputo y Redes Empresariales, S.A. de C.V.",
        "medium",
        &["51501", "56501", "52101"],
    ),
    s(
        "CUB090701HH",
        "Confecciones y Uniformes del Bajío, S.A. de C.V.",
        "small",
        &["27101", "27201"],
    ),
    s(
        "FIN140228JJ",
        "Ferretería Industrial del Norte, S.A. de C.V.",
        "small",
        &["29101"],
    ),
    s(
        "DAB160919KK",
        "Distribuidora de Alimentos y Bebidas del Centro, S.A. de C.V.",
        "small",
        &["22104"],
    ),
    s(
        "TIT110503LL",
        "Textiles Institucionales de Tlaxcala, S.A. de C.V.",
        "micro",
        &["27101"],
    ),
];

/// An item bought: classifier code, unit, quantity and maximum unit price in centavos.
#[derive(Clone, Copy)]
pub struct Item {
    pub code: &'static str,
    pub unit: &'static str,
    pub quantity: u64,
    pub max_centavos: i64,
}

pub const fn item(code: &'static str, unit: &'static str, quantity: u64, max_pesos: i64) -> Item {
    Item {
        code,
        unit,
        quantity,
        max_centavos: max_pesos * 100,
    }
}

/// How a tender's procedure is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Open,
    /// An invitation to three suppliers.
    Invitation,
    /// A direct award to one supplier, with its legal justification.
    DirectAward,
    /// An order under the demo's framework contract, to its adhered suppliers.
    FrameworkOrder,
    /// An open tender of ICT goods, citing the approved assent.
    Ict,
}

/// Where the demo leaves a tender.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fate {
    Draft,
    /// Published, taking questions and bids for days.
    Clarification,
    /// Published, questions closed, taking bids for days.
    Submission,
    /// Published, then cancelled.
    Cancelled,
    /// Bids in, the deadline passed, not opened yet.
    Unopened,
    Opened,
    Evaluated,
    /// Opened with no bid.
    DesertedNoBids,
    /// Every bid disqualified.
    DesertedUnqualified,
    Awarded,
    Contracted,
    /// A reverse auction running for days.
    LiveAuction,
    /// A one-minute auction (in auction time), then the award: its chart is on the portal.
    AuctionAwarded,
    /// Three lots: two awarded one by one, one that nobody offered.
    Lots,
    /// Awarded, contested by the runner-up, admitted with a suspension.
    ComplaintSuspended,
    /// Awarded, contested, dismissed, then contracted.
    ComplaintDismissed,
}

impl Fate {
    /// Whether the tender's bids close during the demo (the others stay open for days).
    pub fn closes(self) -> bool {
        !matches!(
            self,
            Fate::Draft | Fate::Clarification | Fate::Submission | Fate::Cancelled
        )
    }
}

/// A tender of the data set: each lot's title (one untitled lot: a tender of items) and
/// items.
pub struct Plan {
    pub agency: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub kind: Kind,
    pub fate: Fate,
    pub bidders: usize,
    pub lots: &'static [(&'static str, &'static [Item])],
}

/// The demo's framework contract: cleaning supplies at fixed prices.
pub const FRAMEWORK_ITEMS: &[Item] = &[
    item("21601004", "caja", 0, 520),
    item("21601005", "caja", 0, 610),
    item("21601006", "litro", 0, 38),
    item("21601010", "litro", 0, 72),
];

const fn p(
    agency: &'static str,
    title: &'static str,
    description: &'static str,
    kind: Kind,
    fate: Fate,
    bidders: usize,
    lots: &'static [(&'static str, &'static [Item])],
) -> Plan {
    Plan {
        agency,
        title,
        description,
        kind,
        fate,
        bidders,
        lots,
    }
}

use Fate as F;
use Kind as K;

pub const PLANS: &[Plan] = &[
    p(
        "SEP",
        "Adquisición de mobiliario escolar para telesecundarias",
        "Sillas y anaqueles para 40 planteles de telesecundaria",
        K::Open,
        F::Clarification,
        0,
        &[(
            "",
            &[
                item("51101002", "pieza", 800, 1_900),
                item("51101008", "pieza", 120, 3_200),
            ],
        )],
    ),
    p(
        "IMSS",
        "Suministro de medicamentos de cuadro básico 2027",
        "Analgésicos y antidiabéticos para unidades de medicina familiar",
        K::Open,
        F::Submission,
        0,
        &[(
            "",
            &[
                item("25301001", "caja", 50_000, 38),
                item("25301002", "caja", 20_000, 45),
                item("25301007", "caja", 15_000, 95),
            ],
        )],
    ),
    p(
        "CFE",
        "Rehabilitación de instalaciones eléctricas del edificio corporativo",
        "Tableros, cableado y canalizaciones de los pisos 3 a 9",
        K::Open,
        F::Clarification,
        0,
        &[("", &[item("62202003", "lote", 1, 2_850_000)])],
    ),
    p(
        "SICT",
        "Arrendamiento de camionetas para supervisión de obra",
        "Doce camionetas SUV por 24 meses, con seguro de cobertura amplia",
        K::Invitation,
        F::Clarification,
        0,
        &[("", &[item("32505006", "mes", 288, 28_000)])],
    ),
    p(
        "CONAGUA",
        "Estudio de impacto ambiental del acueducto regional",
        "Manifestación de impacto ambiental, modalidad regional",
        K::Open,
        F::Cancelled,
        0,
        &[("", &[item("33501003", "servicio", 1, 1_200_000)])],
    ),
    p(
        "SHCP",
        "Servicio de vigilancia para oficinas centrales",
        "Monitoreo de alarmas y videovigilancia 24x7 durante 12 meses",
        K::Open,
        F::Draft,
        0,
        &[("", &[item("33801003", "mes", 12, 85_000)])],
    ),
    p(
        "SSA",
        "Adquisición de botiquines de primeros auxilios",
        "Botiquines equipados para oficinas y almacenes",
        K::Open,
        F::Draft,
        0,
        &[("", &[item("25401009", "pieza", 600, 1_450)])],
    ),
    p(
        "SEP",
        "Adquisición de pantallas para aulas digitales",
        "Pantallas 4K de 65 pulgadas para 150 aulas",
        K::Open,
        F::Contracted,
        3,
        &[("", &[item("52101003", "pieza", 150, 24_000)])],
    ),
    p(
        "IMSS",
        "Adquisición de material de curación",
        "Compra consolidada por partidas para hospitales de segundo nivel",
        K::Open,
        F::Lots,
        3,
        &[
            (
                "Guantes de exploración",
                &[item("25401001", "caja", 4_000, 210)],
            ),
            (
                "Cubrebocas quirúrgicos",
                &[item("25401002", "caja", 6_000, 95)],
            ),
            (
                "Jeringas desechables",
                &[item("25401003", "caja", 1_500, 380)],
            ),
        ],
    ),
    p(
        "SSA",
        "Adquisición de medicamentos para centros de salud",
        "Antibióticos y protectores gástricos para el primer nivel de atención",
        K::Open,
        F::AuctionAwarded,
        3,
        &[(
            "",
            &[
                item("25301003", "caja", 12_000, 65),
                item("25301005", "caja", 8_000, 48),
            ],
        )],
    ),
    p(
        "CFE",
        "Suministro de luminarias LED para oficinas",
        "Paneles y tubos LED para la sustitución de luminarias fluorescentes",
        K::Open,
        F::LiveAuction,
        3,
        &[(
            "",
            &[
                item("24601010", "pieza", 900, 1_350),
                item("24601002", "pieza", 3_000, 120),
            ],
        )],
    ),
    p(
        "SHCP",
        "Adquisición de equipo de cómputo de escritorio",
        "80 equipos para la renovación del área de recaudación",
        K::Ict,
        F::Awarded,
        3,
        &[("", &[item("51501003", "pieza", 80, 18_500)])],
    ),
    p(
        "SICT",
        "Servicio de mantenimiento a vehículos oficiales",
        "Frenos, hojalatería y pintura del parque vehicular de los centros SICT",
        K::Open,
        F::ComplaintSuspended,
        2,
        &[(
            "",
            &[
                item("35501003", "servicio", 60, 6_500),
                item("35501006", "servicio", 25, 14_000),
            ],
        )],
    ),
    p(
        "SEP",
        "Adquisición de uniformes para personal de intendencia",
        "Uniformes de trabajo de gabardina, camisa y pantalón",
        K::Open,
        F::ComplaintDismissed,
        3,
        &[("", &[item("27101007", "juego", 1_200, 950)])],
    ),
    p(
        "IMSS",
        "Servicio de fumigación y control de plagas en unidades médicas",
        "Servicio mensual en 48 unidades de medicina familiar",
        K::Open,
        F::Awarded,
        2,
        &[("", &[item("35801003", "servicio", 48, 9_800)])],
    ),
    p(
        "CONAGUA",
        "Adquisición de herramienta para brigadas de mantenimiento",
        "Juegos de desarmadores y escaleras de tijera",
        K::Open,
        F::Contracted,
        2,
        &[(
            "",
            &[
                item("29101001", "juego", 300, 420),
                item("29101007", "pieza", 150, 2_300),
            ],
        )],
    ),
    p(
        "CFE",
        "Pedido de papel higiénico y toallas para manos",
        "Pedido al amparo del contrato marco de artículos de limpieza",
        K::FrameworkOrder,
        F::Awarded,
        3,
        &[(
            "",
            &[
                item("21601004", "caja", 900, 520),
                item("21601005", "caja", 700, 610),
            ],
        )],
    ),
    p(
        "SHCP",
        "Suministro de café y agua purificada",
        "Café molido y agua en garrafón para las oficinas centrales",
        K::Invitation,
        F::Contracted,
        3,
        &[(
            "",
            &[
                item("22104002", "kilogramo", 400, 380),
                item("22104003", "pieza", 5_000, 55),
            ],
        )],
    ),
    p(
        "SSA",
        "Asesoría para el diseño de reglas de operación",
        "Reglas de operación del programa de atención a la salud comunitaria",
        K::DirectAward,
        F::Contracted,
        1,
        &[("", &[item("33104001", "servicio", 1, 750_000)])],
    ),
    p(
        "SEP",
        "Adquisición de pasajes aéreos para comisiones oficiales",
        "Boletos viaje redondo Ciudad de México – Guadalajara",
        K::Open,
        F::DesertedNoBids,
        0,
        &[("", &[item("37104002", "boleto", 400, 6_200)])],
    ),
    p(
        "SICT",
        "Servicio de pintura en oficinas regionales",
        "Pintura vinílica en muros interiores de 12 oficinas",
        K::Open,
        F::DesertedUnqualified,
        2,
        &[("", &[item("35101003", "metro cuadrado", 8_000, 95)])],
    ),
    p(
        "IMSS",
        "Mantenimiento a plantas de emergencia",
        "Mantenimiento preventivo a 40 plantas de generación eléctrica",
        K::Open,
        F::Evaluated,
        3,
        &[("", &[item("35101006", "servicio", 40, 28_000)])],
    ),
    p(
        "CONAGUA",
        "Adquisición de botas de seguridad dieléctricas",
        "Calzado de seguridad para personal de campo",
        K::Open,
        F::Opened,
        3,
        &[("", &[item("27201002", "par", 700, 1_650)])],
    ),
    p(
        "CFE",
        "Adquisición de cable eléctrico THW",
        "Cable calibre 12 AWG para mantenimiento de instalaciones",
        K::Open,
        F::Unopened,
        2,
        &[("", &[item("24601001", "metro", 30_000, 18)])],
    ),
    p(
        "SHCP",
        "Adquisición de archiveros metálicos",
        "Archiveros de cuatro gavetas para el archivo de concentración",
        K::Open,
        F::Awarded,
        3,
        &[("", &[item("51101005", "pieza", 200, 5_900)])],
    ),
    p(
        "SSA",
        "Pedido de gel antibacterial y jabón líquido",
        "Pedido al amparo del contrato marco de artículos de limpieza",
        K::FrameworkOrder,
        F::Contracted,
        2,
        &[(
            "",
            &[
                item("21601010", "litro", 3_000, 72),
                item("21601006", "litro", 2_000, 38),
            ],
        )],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agency::AgencyCode;
    use crate::domain::rfc::{Rfc, with_check_digit};

    fn full(body: &str) -> String {
        with_check_digit(body).expect("11 or 12 characters")
    }

    #[test]
    fn every_rfc_and_code_of_the_data_set_is_valid() {
        for a in AGENCIES {
            AgencyCode::parse(a.code).expect(a.code);
            Rfc::parse(&full(a.rfc_body)).expect(a.rfc_body);
        }
        let mut seen = std::collections::HashSet::new();
        for s in SUPPLIERS {
            Rfc::parse(&full(s.rfc_body)).expect(s.rfc_body);
            assert!(seen.insert(s.rfc_body), "{} twice", s.rfc_body);
        }
        assert!(SUPPLIERS.len() >= 30);
        assert!(PLANS.len() >= 20);
        for plan in PLANS {
            for (_, items) in plan.lots {
                for i in *items {
                    crate::domain::classifier::ClassifierCode::parse(i.code).expect(i.code);
                }
            }
        }
    }
}
