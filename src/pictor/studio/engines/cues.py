# ruff: noqa: RUF001
"""Words that set a parameter: shapes, sizes, colours, styles (many languages)."""

from __future__ import annotations

from pictor.studio.engines.text import Lexicon

# fmt: off
#: Aspect ratios by the words people use for them. "portrait" and "landscape" alone
#: are subjects ("a portrait of my dog"); only "portrait format", "in landscape"... count.
ASPECT_WORDS: dict[str, Lexicon] = {
    "1:1": Lexicon(
        "square",
        [
            "square", "instagram post", "profile picture", "avatar", "cuadrad*", "carre*",
            "quadratisch*", "quadrat", "quadrato", "quadrata", "quadrad*", "vierkant*",
            "kwadrat*", "kare", "квадрат*", "مربع", "मुरब्बा", "वर्गाकार", "正方形", "方形",
            "정사각형", "สี่เหลี่ยมจัตุรัส", "vuông", "persegi",
        ],
    ),
    "9:16": Lexicon(
        "vertical",
        [
            "vertical*", "stories", "story", "reel*", "tiktok", "phone wallpaper",
            "mobile wallpaper", "vertikal*", "verticale", "pionow*", "dikey", "вертикальн*",
            "عمودي", "縦長", "縦型", "竖屏", "竖版", "세로", "แนวตั้ง", "dọc", "tegak",
        ],
    ),
    "16:9": Lexicon(
        "horizontal",
        [
            "horizontal*", "widescreen", "wide screen", "youtube thumbnail",
            "desktop wallpaper", "orizzontale", "poziom*", "yatay", "горизонтальн*", "أفقي",
            "横長", "横型", "横向", "横屏", "가로", "แนวนอน", "ngang", "mendatar",
        ],
    ),
    "2:3": Lexicon(
        "portrait",
        [
            "portrait format", "portrait mode", "portrait orientation", "in portrait",
            "formato retrato", "format portrait", "hochformat", "formato verticale",
        ],
    ),
    "3:2": Lexicon(
        "landscape",
        [
            "landscape format", "landscape mode", "landscape orientation", "in landscape",
            "formato paisaje", "format paysage", "querformat", "formato orizzontale",
        ],
    ),
    "21:9": Lexicon("ultrawide", ["ultrawide", "ultra-wide", "ultra wide", "cinemascope"]),
}

RESOLUTION_WORDS: dict[str, Lexicon] = {
    "4K": Lexicon(
        "4K",
        [
            "ultra hd", "uhd", "print quality", "for print", "highest resolution",
            "maximum resolution", "max resolution", "8k",
        ],
    ),
    "2K": Lexicon(
        "2K",
        [
            "high resolution", "high res", "high-res", "hi-res", "hires", "hd", "full hd",
            "1080p", "alta resolucion", "haute resolution", "haute definition",
            "hohe auflosung", "hochauflosend", "alta risoluzione", "alta resolucao",
            "hoge resolutie", "wysoka rozdzielczosc", "yuksek cozunurluk", "высок* разрешени*",
            "دقة عالية", "高解像度", "高画質", "高分辨率", "高清", "고해상도",
            "độ phân giải cao", "resolusi tinggi",
        ],
    ),
}

#: Colour names to hex (CSS values, as the logo studio reads the English names).
COLOR_WORDS: dict[str, tuple[str, ...]] = {
    "#ff0000": (
        "red", "rojo", "roja", "rouge", "rot", "rote", "roten", "rosso", "rossa", "vermelho",
        "vermelha", "rood", "czerwon*", "kirmizi", "красн*", "أحمر", "الأحمر", "لال", "लाल",
        "赤", "红", "紅", "빨간", "빨강", "แดง", "màu đỏ", "merah",
    ),
    "#008000": (
        "green", "verde", "vert", "verte", "grun", "grune", "groen", "zielon*", "yesil",
        "зелен*", "أخضر", "हरा", "緑", "绿", "초록", "녹색", "เขียว", "xanh lá", "hijau",
    ),
    "#0000ff": (
        "blue", "azul", "bleu", "bleue", "blau", "blaue", "blu", "blauw", "niebiesk*", "mavi",
        "синий", "синяя", "синего", "синее", "голуб*", "أزرق", "الأزرق", "नीला", "青", "蓝",
        "藍", "파란", "파랑", "น้ำเงิน", "xanh dương", "xanh", "biru",
    ),
    "#ffffff": (
        "white", "blanco", "blanca", "blanc", "blanche", "weiss", "weisse", "weissen", "bianco",
        "bianca", "branco", "branca", "wit", "witte", "bial*", "beyaz", "белый", "белая",
        "белого", "белое", "белом", "белым", "أبيض", "الأبيض", "सफेद", "सफ़ेद", "白", "흰",
        "하얀", "흰색", "ขาว", "trắng", "putih",
    ),
    "#000000": (
        "black", "negro", "negra", "noir", "noire", "schwarz", "schwarze", "nero", "nera",
        "preto", "preta", "zwart", "czarn*", "siyah", "черн*", "أسود", "الأسود", "काला", "黒",
        "黑", "검은", "검정", "ดำ", "màu đen", "hitam",
    ),
    "#ffff00": (
        "yellow", "amarillo", "jaune", "gelb", "giallo", "amarelo", "geel", "zolt*", "sari",
        "желт*", "أصفر", "पीला", "黄色", "黄", "노란", "เหลือง", "kuning",
    ),
    "#ffa500": (
        "orange", "naranja", "arancione", "laranja", "oranje", "pomaranczow*", "turuncu",
        "оранжев*", "برتقالي", "नारंगी", "オレンジ", "橙", "주황", "ส้ม", "cam", "oranye",
        "jingga",
    ),
    "#800080": (
        "purple", "morado", "violet", "violett", "lila", "viola", "roxo", "paars", "fioletow*",
        "mor", "фиолетов*", "بنفسجي", "बैंगनी", "紫", "보라", "ม่วง", "màu tím", "ungu",
    ),
    "#ffc0cb": (
        "pink", "rosa", "roze", "rozow*", "pembe", "розов*", "وردي", "गुलाबी", "ピンク", "粉色",
        "분홍", "ชมพู", "màu hồng", "merah muda",
    ),
    "#a52a2a": (
        "brown", "marron", "braun", "marrone", "marrom", "bruin", "brazow*", "kahverengi",
        "коричнев*", "بني", "भूरा", "茶色", "棕色", "갈색", "น้ำตาล", "màu nâu", "coklat",
        "cokelat",
    ),
    "#808080": (
        "gray", "grey", "gris", "grau", "grigio", "cinza", "grijs", "szar*", "gri", "серый",
        "серая", "серого", "серое", "رمادي", "स्लेटी", "灰色", "グレー", "회색", "เทา",
        "màu xám", "abu-abu",
    ),
    "#ffd700": (
        "gold", "golden", "dorado", "dore", "doree", "oro", "dourado", "goud", "zlot*", "altin",
        "золот*", "ذهبي", "सुनहरा", "金色", "ゴールド", "금색", "ทอง", "vàng kim", "emas",
    ),
    "#000080": ("navy", "navy blue", "marino", "marine", "bleu marine", "marineblau"),
    "#008080": ("teal", "turquoise", "turquesa", "turchese", "turkis", "бирюзов*"),
}

#: Logo styles (the logo studio's eight) by their names in other languages.
LOGO_STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "modern": (
        "modern*", "moderno", "moderna", "moderne", "nowoczesn*", "современн*", "モダン",
        "现代", "現代", "모던", "ทันสมัย", "hiện đại",
    ),
    "classic": (
        "classic*", "clasico", "classique", "klassisch*", "classico", "classica", "klasyczn*",
        "klasik", "классическ*", "クラシック", "经典", "클래식",
    ),
    "minimal": (
        "minimal*", "minimalista", "minimaliste", "minimalistisch*", "minimalistico", "simple",
        "simplu", "sencillo", "schlicht", "semplice", "simples", "минималист*", "ミニマル",
        "シンプル", "简约", "极简", "미니멀", "심플", "tối giản",
    ),
    "playful": (
        "playful", "fun", "funny", "cute", "ludico", "ludique", "verspielt", "giocoso",
        "divertido", "speels", "zabawn*", "eglenceli", "игрив*", "可愛い", "かわいい", "可爱",
        "귀여운", "น่ารัก", "vui nhộn", "lucu",
    ),
    "bold": (
        "bold", "audaz", "audacieux", "kraftig", "kühn", "audace", "ousado", "krachtig",
        "odwazn*", "cesur", "смел*", "大胆", "강렬한",
    ),
    "elegant": (
        "elegant*", "elegante", "luxury", "luxurious", "premium", "lujoso", "luxe", "luxueux",
        "lussuoso", "luxuoso", "элегантн*", "エレガント", "高級", "优雅", "高端", "우아한",
        "고급", "หรูหรา", "sang trọng",
    ),
    "tech": (
        "tech", "techy", "technology", "startup", "futuristic", "tecnologico", "technologique",
        "technisch", "tecnologia", "технологичн*", "テック", "科技", "테크", "công nghệ",
        "teknologi",
    ),
    "geometric": (
        "geometric", "geometrico", "geometrique", "geometrisch*", "geometryczn*",
        "геометрическ*", "幾何学", "几何", "기하학",
    ),
}

#: Picture styles added to a prompt in English when said in another language.
STYLE_CUES: dict[str, tuple[str, ...]] = {
    "watercolor": (
        "acuarela", "aquarelle", "aquarell", "acquerello", "aquarela", "aquarel", "akwarel*",
        "suluboya", "акварел*", "ألوان مائية", "水彩", "수채화", "สีน้ำ", "màu nước", "cat air",
    ),
    "oil painting": (
        "oleo", "peinture a l huile", "olgemalde", "dipinto a olio", "pittura a olio",
        "pintura a oleo", "olieverf", "obraz olejny", "yagli boya", "маслом", "油絵", "油画",
        "유화", "sơn dầu", "lukisan minyak",
    ),
    "anime style": ("anime", "アニメ", "动漫", "애니메이션", "аниме"),
    "photorealistic": (
        "fotorrealista", "photorealiste", "fotorealistisch", "fotorealistico", "fotorealista",
        "фотореалист*", "写実的", "写实", "실사", "siêu thực",
    ),
    "pixel art": ("pixel art", "ピクセルアート", "像素", "픽셀 아트", "пиксель*"),
    "cyberpunk": ("cyberpunk", "赛博朋克", "サイバーパンク", "사이버펑크", "киберпанк"),
    "cartoon": (
        "caricatura", "dibujos animados", "dessin anime", "zeichentrick", "cartone animato",
        "desenho animado", "tecknad", "kreskowk*", "мультяшн*", "卡通", "カートゥーン", "만화",
        "การ์ตูน", "kartun",
    ),
    "pencil sketch": (
        "boceto", "croquis", "skizze", "schizzo", "esboco", "szkic", "eskiz", "эскиз",
        "スケッチ", "素描", "스케치", "ภาพร่าง", "phác thảo", "sketsa",
    ),
    "minimalist": ("minimalista", "minimaliste", "minimalistisch", "极简", "ミニマル", "미니멀"),
    "vintage": ("retro", "vintage", "レトロ", "复古", "레트로", "ретро", "винтаж*"),
    "cinematic": (
        "cinematografico", "cinematique", "filmisch", "кинематографичн*", "映画のような",
        "电影感", "영화 같은", "sinematik",
    ),
}
# fmt: on
