"""The demo's buyers: made-up people across Indonesia, with WhatsApp numbers no phone has (0812-0000-1xxx)."""

import dataclasses

from orders.checkout import BuyerDetails

# (province, city, district, postal code, street) where buyers live.
PLACES = [
    ("DKI Jakarta", "Jakarta Selatan", "Kebayoran Baru", "12130", "Jl. Wolter Monginsidi"),
    ("DKI Jakarta", "Jakarta Timur", "Duren Sawit", "13440", "Jl. Kolonel Sugiono"),
    ("Jawa Barat", "Kota Bandung", "Coblong", "40132", "Jl. Dipati Ukur"),
    ("Jawa Barat", "Kota Bogor", "Bogor Tengah", "16124", "Jl. Pajajaran"),
    ("Jawa Barat", "Kota Depok", "Beji", "16424", "Jl. Margonda Raya"),
    ("Jawa Barat", "Kota Bekasi", "Bekasi Selatan", "17144", "Jl. Ahmad Yani"),
    ("Banten", "Kota Tangerang Selatan", "Serpong", "15310", "Jl. Raya Serpong"),
    ("Jawa Tengah", "Kota Semarang", "Tembalang", "50275", "Jl. Banjarsari"),
    ("Jawa Tengah", "Kota Surakarta", "Laweyan", "57148", "Jl. Dr. Rajiman"),
    ("DI Yogyakarta", "Kabupaten Sleman", "Depok", "55281", "Jl. Kaliurang Km 5"),
    ("Jawa Timur", "Kota Surabaya", "Gubeng", "60281", "Jl. Dharmawangsa"),
    ("Jawa Timur", "Kota Malang", "Lowokwaru", "65145", "Jl. Soekarno Hatta"),
    ("Bali", "Kota Denpasar", "Denpasar Selatan", "80225", "Jl. Tukad Badung"),
    ("Sumatera Utara", "Kota Medan", "Medan Baru", "20153", "Jl. Dr. Mansyur"),
    ("Sumatera Barat", "Kota Padang", "Padang Utara", "25137", "Jl. Khatib Sulaiman"),
    ("Sumatera Selatan", "Kota Palembang", "Ilir Timur I", "30126", "Jl. Kapten Rivai"),
    ("Riau", "Kota Pekanbaru", "Marpoyan Damai", "28125", "Jl. Arifin Ahmad"),
    ("Kalimantan Timur", "Kota Balikpapan", "Balikpapan Selatan", "76114", "Jl. MT Haryono"),
    ("Kalimantan Barat", "Kota Pontianak", "Pontianak Selatan", "78121", "Jl. Gajah Mada"),
    ("Sulawesi Selatan", "Kota Makassar", "Panakkukang", "90231", "Jl. Boulevard"),
    ("Sulawesi Utara", "Kota Manado", "Wenang", "95111", "Jl. Sam Ratulangi"),
    ("Nusa Tenggara Barat", "Kota Mataram", "Cakranegara", "83231", "Jl. Pejanggik"),
]

# Flat postage per order to each province the demo's buyers live in (JNE REG-like prices from Solo).
POSTAGE_FLAT_IDR = {
    "DKI Jakarta": 18_000,
    "Jawa Barat": 18_000,
    "Banten": 19_000,
    "Jawa Tengah": 12_000,
    "DI Yogyakarta": 12_000,
    "Jawa Timur": 15_000,
    "Bali": 25_000,
    "Nusa Tenggara Barat": 28_000,
    "Sumatera Utara": 35_000,
    "Sumatera Barat": 34_000,
    "Sumatera Selatan": 30_000,
    "Riau": 33_000,
    "Kalimantan Timur": 42_000,
    "Kalimantan Barat": 40_000,
    "Sulawesi Selatan": 42_000,
    "Sulawesi Utara": 48_000,
}

# (name, where in PLACES, with an e-mail): most buyers leave only their WhatsApp number.
PEOPLE = [
    ("Putri Ayuningtyas", 2, True),
    ("Budi Santoso", 1, False),
    ("Dewi Anggraini", 10, False),
    ("Agus Setiawan", 7, False),
    ("Nur Aini Rahmawati", 9, False),
    ("Fajar Nugroho", 8, False),
    ("Indah Permatasari", 0, True),
    ("Rizky Ramadhan", 6, False),
    ("Wulan Sari", 11, False),
    ("Hendra Gunawan", 15, False),
    ("Maya Puspitasari", 3, False),
    ("Yusuf Hidayat", 4, False),
    ("Ratna Wulandari", 5, False),
    ("Eko Prasetyo", 7, False),
    ("Fitri Handayani", 14, False),
    ("Bayu Saputra", 16, False),
    ("Sri Rahayu", 8, False),
    ("Andi Firmansyah", 19, False),
    ("Nadia Safitri", 0, False),
    ("Galih Pratama", 2, False),
    ("Lestari Wahyuni", 9, False),
    ("Joko Susilo", 10, False),
    ("Anisa Rahmawati", 17, False),
    ("Teguh Wibowo", 11, False),
    ("Kadek Ayu Wirawati", 12, False),
    ("Arif Rahman", 18, False),
    ("Citra Maharani", 6, True),
    ("Dedi Kurniawan", 1, False),
    ("Sarah Manurung", 13, False),
    ("Yuni Astuti", 5, False),
    ("Ilham Maulana", 3, True),
    ("Made Suarjana", 12, False),
    ("Andi Tenri Ajeng", 19, False),
    ("Stevi Lumowa", 20, False),
    ("Baiq Nurul Hidayah", 21, True),
    ("Aditya Nugraha", 4, False),
    ("Rahmat Hidayat", 15, False),
    ("Novi Ariyanti", 10, False),
    ("Irfan Syahputra", 13, False),
    ("Dian Purnamasari", 7, False),
    ("Hana Pertiwi", 2, False),
    ("Taufik Kurniadi", 16, False),
    ("Gita Paramitha", 9, True),
    ("Rudi Hermawan", 0, False),
]


def _buyer(position: int) -> BuyerDetails:
    name, place, with_email = PEOPLE[position]
    province, city, district, postal_code, street = PLACES[place]
    first, *rest = name.lower().split()
    return BuyerDetails(
        name=name,
        phone=f"0812-0000-{1001 + position}",
        email=f"{first}.{rest[-1]}@example.com" if with_email else "",
        province=province,
        city=city,
        district=district,
        postal_code=postal_code,
        street=f"{street} No. {3 + position * 7 % 120}, RT {1 + position % 9:02d}/RW {1 + position % 5:02d}",
    )


BUYERS = [_buyer(position) for position in range(len(PEOPLE))]


def demo_buyer(position: int, note: str = "") -> BuyerDetails:
    """The `position`th buyer (round the list), with an order note when given."""
    return dataclasses.replace(BUYERS[position % len(BUYERS)], note=note)
