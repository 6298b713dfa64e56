# ruff: noqa: RUF001
"""The words the rules engine routes on, by meaning, in the catalog's languages.

Each lexicon lists a meaning's common words in English, Spanish, French, German,
Italian, Portuguese, Dutch, Polish, Turkish, Russian, Arabic, Hindi, Japanese,
Chinese, Korean, Thai, Vietnamese and Indonesian, where the language has a usual
word for it. See ``text`` for how keywords match (``*`` is a prefix).
"""

from __future__ import annotations

from pictor.studio.engines.text import Lexicon

# fmt: off
REMOVE = Lexicon(
    "remove",
    [
        # en
        "remove*", "delete*", "erase*", "get rid of", "take out", "take off", "take away",
        "clean off", "clean up", "strip", "cut away", "lose the", "without the",
        # es, fr, it, pt
        "quit*", "elimin*", "borr*", "sin el", "sin la", "supprim*", "enlev*", "retir*",
        "efface*", "rimuov*", "togli*", "cancell*", "remov*", "tira", "tire", "apag*",
        # de, nl, pl, tr
        "entfern*", "losch*", "weg", "verwijder*", "weghalen", "haal", "usun*", "wymaz*",
        "kaldir*", "sil", "silin*", "temizle*",
        # ru
        "удал*", "убер*", "убр*", "сотр*",
        # ar, hi
        "أزل", "ازل", "احذف", "إزالة", "ازالة", "امسح", "हटा", "मिटा",
        # ja, zh, ko, th
        "消して", "消す", "削除", "除去", "取り除", "取って", "删除", "去掉", "去除", "移除",
        "抹掉", "擦除", "去水印", "제거", "지워", "지우", "없애", "ลบ", "เอาออก",
        # vi, id
        "xóa", "xoá", "bỏ đi", "gỡ bỏ", "hapus*", "buang", "hilangkan",
    ],
)

BACKGROUND = Lexicon(
    "background",
    [
        "background*", "backdrop", "bg", "fondo", "fond", "arriere-plan", "arriere plan",
        "hintergrund*", "sfondo", "fundo", "achtergrond", "tlo", "tla", "arka plan*", "фон*",
        "خلفية", "الخلفية", "पृष्ठभूमि", "बैकग्राउंड", "背景", "배경", "พื้นหลัง", "nền",
        "phông nền", "latar*",
    ],
)

#: "In the background": the background is where something is, not what goes.
IN_THE_BACKGROUND = Lexicon(
    "in the background",
    [
        "in the background", "in the back", "en el fondo", "al fondo", "au fond",
        "dans l arriere-plan", "a l arriere-plan", "im hintergrund", "sullo sfondo",
        "nello sfondo", "no fundo", "ao fundo", "op de achtergrond", "w tle", "arka planda",
        "на фоне", "на заднем плане", "في الخلفية", "背景の", "背景里", "背景中", "배경에 있는",
    ],
)

WATERMARK = Lexicon(
    "watermark",
    [
        "watermark*", "water mark", "marca de agua", "marca d agua", "marca dagua", "filigran*",
        "wasserzeichen", "marca d acqua", "watermerk", "znak wodny", "znaku wodnego",
        "водян* знак*", "вотермарк*", "علامة مائية", "العلامة المائية", "वॉटरमार्क",
        "वाटरमार्क", "透かし", "ウォーターマーク", "水印", "워터마크", "ลายน้ำ", "hình mờ",
        "tanda air", "stock logo", "shutterstock", "getty", "istock",
    ],
)

CUTOUT = Lexicon(
    "cutout",
    [
        "transparent*", "cut out", "cutout", "cut-out", "isolate*", "png", "no background",
        "sin fondo", "fondo transparente", "recort*", "detour*", "sans fond", "freistell*",
        "ohne hintergrund", "scontorn*", "senza sfondo", "sem fundo", "recorte", "uitknip*",
        "zonder achtergrond", "bez tla", "arka plansiz", "без фона", "вырез*", "بدون خلفية",
        "切り抜", "透過", "抠图", "抠出", "透明", "누끼", "투명", "โปร่งใส", "tách nền",
        "xóa phông", "transparan",
    ],
)

CREATE = Lexicon(
    "create",
    [
        "generat*", "genrate", "create*", "make me", "make a", "make an", "make some", "draw",
        "design", "render", "paint", "imagine", "illustrate", "show me", "give me", "crea",
        "crear", "creame", "genera", "generar", "hazme", "haz un", "haz una", "dibuj*",
        "disena", "cree", "creer", "cree moi", "genere", "dessine*", "fais", "fais moi",
        "erstell*", "generier*", "zeichne*", "mach mir", "mach ein", "entwirf", "disegna",
        "fammi", "crie", "gere", "gerar", "desenh*", "faca", "maak een", "genereer", "teken",
        "stworz", "wygeneruj", "narysuj", "zrob", "olustur*", "ciz", "uret", "tasarla",
        "созда*", "сгенерир*", "нарису*", "сделай мне", "أنشئ", "انشئ", "ارسم", "اصنع", "صمم",
        "बनाओ", "बनाइए", "बनाएं", "बना दो", "作って", "作成", "生成", "描いて", "描く", "画一",
        "做一", "设计", "設計", "만들어", "그려", "생성", "สร้าง", "วาด", "tạo", "vẽ một",
        "thiết kế", "buat*", "gambarkan",
    ],
)

PICTURE = Lexicon(
    "picture",
    [
        "image*", "picture*", "pic", "pics", "photo*", "illustration*", "poster*", "banner*",
        "wallpaper*", "drawing", "painting", "artwork", "render", "shot*", "scene", "portrait",
        "icon", "sticker", "imagen*", "ilustracion", "foto*", "dibujo", "affiche", "dessin",
        "bild", "bilder", "zeichnung", "immagine", "disegno", "afbeelding", "obraz*", "zdjec*",
        "resim", "gorsel", "картин*", "изображен*", "фото*", "صورة", "رسم", "तस्वीर", "चित्र",
        "画像", "写真", "イラスト", "絵", "图片", "图像", "照片", "插画", "그림", "이미지",
        "사진", "ภาพ", "รูป", "ảnh", "bức ảnh", "hình", "gambar",
    ],
)

CHANGE = Lexicon(
    "change",
    [
        "change*", "replace*", "swap", "turn it", "turn this", "turn the", "convert", "add",
        "put", "recolor*", "recolour*", "fix", "enhance*", "retouch*", "adjust*", "tweak",
        "edit", "crop", "zoom", "rotate", "flip", "instead", "restyle", "colorize", "cambia*",
        "anade", "agrega", "pon", "reemplaz*", "hazlo", "hazla", "ajoute*", "change", "rends",
        "remplace*", "mets", "ander*", "fuge", "ersetze", "mach es", "mach den", "mach die",
        "mach das", "aggiungi", "sostituisci", "rendila", "rendilo", "mude", "muda", "adicione",
        "troque", "substitua", "verander*", "voeg", "maak het", "vervang", "zmien", "dodaj",
        "zamien", "degistir", "ekle", "yap", "измени*", "добав*", "замени*", "сделай",
        "поменяй", "غير", "أضف", "اضف", "استبدل", "बदलो", "बदल दो", "जोड़ो", "बनाओ इसे",
        "変えて", "変更", "追加", "にして", "改成", "换成", "改为", "添加", "加上", "变成",
        "바꿔", "변경", "추가", "으로 해", "เปลี่ยน", "เพิ่ม",
        "đổi", "thay", "thêm vào", "thêm một", "ubah",
        "ganti", "tambah*", "jadikan",
    ],
)

#: Comparatives and photo adjustments: "warmer", "more contrast", "less saturated".
ADJUST = Lexicon(
    "adjust",
    [
        "warmer", "cooler", "colder", "brighter", "darker", "lighter", "sharper", "softer",
        "bigger", "smaller", "more", "less", "contrast", "saturat*", "exposure", "brightness",
        "black and white", "sepia", "vibrant", "blurry", "smile", "zoom out", "zoom in", "mas",
        "menos", "calido", "brillante", "plus", "moins", "lumineu*", "chaud*", "heller",
        "dunkler", "warmer", "kuhler", "mehr", "weniger", "piu", "meno", "luminos*", "caldo",
        "mais", "quente", "claro", "meer", "minder", "lichter", "bardziej", "jasniej",
        "cieplej", "daha", "canli", "sicak", "теплее", "светлее", "темнее", "ярче", "больше",
        "меньше", "контраст*", "أكثر", "اكثر", "और", "ज़्यादा", "चमकीला", "もっと", "明るく",
        "暗く", "暖かく", "白黒", "風に", "更", "亮", "暗", "흑백", "더", "밝게", "어둡게",
        "ขึ้น", "สว่าง", "sáng hơn", "tối hơn", "lebih",
    ],
)

#: Words that point at an image already there.
REFER = Lexicon(
    "refer",
    [
        "it", "this", "that", "this photo", "the photo", "the image", "the picture", "her",
        "him", "them", "esta", "este", "esto", "cette", "dieses", "questa", "questo", "essa",
        "esse", "dessa", "desse", "het", "dit", "bunu", "это", "этот", "эту", "هذه", "इसे",
        "इस", "この", "这张", "这个", "이", "นี้", "ini",
    ],
)

#: A new image is wanted even though the session has one.
NEW = Lexicon(
    "new",
    [
        "new one", "new image", "another", "a new", "from scratch", "completely new", "otra",
        "otro", "nueva", "nuevo", "une autre", "un autre", "nouvelle", "nouveau", "neues",
        "ein anderes", "noch ein", "un altra", "un altro", "nuova", "outra", "nova", "nieuwe",
        "nowy", "nowa", "yeni", "новую", "новое", "ещё", "جديدة", "नई", "新しい", "別の",
        "新的", "另一", "새로운", "다른", "ใหม่", "ảnh mới", "hình mới", "baru",
    ],
)

#: Qualities of a whole photo: removing them is an edit, not an erase.
QUALITY = Lexicon(
    "quality",
    [
        "blur", "noise", "grain", "tint", "color cast", "colour cast", "haze", "glare",
        "red eye", "red-eye", "shadow*", "reflection*", "ruido", "bruit", "rauschen", "rumore",
        "ruido", "шум", "ノイズ", "噪点", "노이즈",
    ],
)

TRANSLATE = Lexicon(
    "translate",
    [
        "translat*", "locali*", "adapt*", "traduc*", "tradu*", "localiz*", "adapta*",
        "ubersetz*", "lokalisier*", "anpass*", "tradurre", "traduci", "localizza*", "traduz*",
        "vertaal*", "lokaliseer*", "przetlumacz*", "tlumacz*", "cevir*", "перевед*",
        "перевест*", "локализ*", "ترجم", "الترجمة", "अनुवाद", "翻訳", "翻译", "翻譯",
        "ローカライズ", "本地化", "번역", "현지화", "แปล", "dịch sang", "bản dịch", "terjemah*",
    ],
)

#: Ads and markets: what localization works on and for.
MARKETING = Lexicon(
    "marketing",
    [
        "market*", "ad", "ads", "advert*", "campaign", "version*", "anuncio", "mercado*",
        "publicidad", "pub", "publicite", "marche", "anzeige", "werbung", "markt", "pubblicita",
        "annuncio", "mercato", "anuncio", "advertentie", "reklam*", "rynek", "реклам*", "рынок",
        "إعلان", "الإعلان", "विज्ञापन", "広告", "市場", "广告", "市场", "광고", "시장", "โฆษณา",
        "quảng cáo", "iklan", "pasar",
    ],
)

LOGO = Lexicon(
    "logo",
    [
        "logo*", "logotip*", "logotype", "brand mark", "emblem", "wordmark", "brand identity",
        "логотип*", "лого", "شعار", "لوغو", "लोगो", "ロゴ", "标志", "標誌", "商标", "标识",
        "로고", "โลโก้", "biểu tượng",
    ],
)

GREETING = Lexicon(
    "greeting",
    [
        "hi", "hello", "hey", "good morning", "good evening", "yo", "hola", "buenas", "bonjour",
        "salut", "hallo", "guten tag", "moin", "ciao", "buongiorno", "ola", "oi", "bom dia",
        "hoi", "dag", "czesc", "dzien dobry", "merhaba", "selam", "привет", "здравствуй*",
        "مرحبا", "السلام عليكم", "नमस्ते", "こんにちは", "こんばんは", "おはよう", "你好",
        "您好", "嗨", "안녕", "สวัสดี", "xin chào", "chào", "halo", "selamat pagi",
    ],
)

THANKS = Lexicon(
    "thanks",
    [
        "thanks", "thank you", "thx", "ty", "great", "perfect", "awesome", "cool", "ok", "okay",
        "nice", "gracias", "perfecto", "merci", "parfait", "danke", "super", "grazie",
        "perfetto", "obrigad*", "perfeito", "bedankt", "dank je", "dziekuje", "tesekkur*",
        "sagol", "спасибо", "отлично", "شكرا", "شكراً", "धन्यवाद", "शुक्रिया", "ありがとう",
        "完璧", "谢谢", "謝謝", "多谢", "감사", "고마워", "ขอบคุณ", "cảm ơn", "terima kasih",
        "mantap",
    ],
)

PRICE = Lexicon(
    "price",
    [
        "how much", "price*", "pricing", "cost*", "credit*", "pay", "subscription",
        "cuanto cuesta", "precio*", "combien", "prix", "tarif*", "wie viel", "wieviel",
        "kostet", "preis*", "quanto costa", "prezzo", "quanto custa", "preco", "hoeveel",
        "prijs", "ile kosztuje", "cena", "ne kadar", "fiyat*", "сколько стоит", "цена",
        "стоимость", "كم سعر", "سعر", "كم يكلف", "कितना", "कीमत", "料金", "値段", "いくら",
        "价格", "多少钱", "費用", "가격", "얼마", "ราคา", "giá bao nhiêu", "bao nhiêu",
        "berapa", "harga",
    ],
)

HELP = Lexicon(
    "help",
    [
        "help", "what can you do", "how does this work", "how does it work", "what do you do",
        "who are you", "ayuda", "que puedes hacer", "aide", "que peux-tu faire", "hilfe",
        "was kannst du", "aiuto", "cosa sai fare", "ajuda", "o que voce faz", "pomoc", "yardim",
        "помощь", "помоги", "что ты умеешь", "مساعدة", "ساعدني", "मदद", "助けて", "何ができ",
        "帮助", "你能做什么", "도와", "뭘 할 수", "ช่วย", "giúp", "bantuan", "bantu",
    ],
)

#: Words that open a question (not a polite request such as "can you...").
QUESTION = Lexicon(
    "question",
    [
        "how", "what", "why", "when", "where", "which", "who", "does", "is it", "are you",
        "do you", "que", "como", "por que", "cuando", "quoi", "pourquoi", "comment", "wie",
        "was", "warum", "wann", "cosa", "perche", "quando", "o que", "por que", "wat", "waarom",
        "hoe", "jak", "dlaczego", "nasil", "neden", "как", "почему", "что", "كيف", "لماذا",
        "ماذا", "क्या", "कैसे", "どう", "なぜ", "何", "怎么", "为什么", "什么", "어떻게", "왜",
        "무엇", "อย่างไร", "ทำไม", "làm sao", "tại sao", "bagaimana", "kenapa", "apa",
    ],
)

#: Things people erase: a bonus to ``erase`` when something is removed.
OBJECT = Lexicon(
    "object",
    [
        "person", "people", "man", "woman", "guy", "girl", "boy", "tourist*", "text", "writing",
        "words", "caption", "car", "cars", "wire*", "power line*", "cable*", "pole", "sign",
        "trash", "bin", "can", "object*", "blemish*", "pimple*", "spot*", "stain*", "scratch*",
        "dust", "crowd", "bird*", "date stamp", "timestamp", "persona*", "texto", "coche",
        "personne*", "texte", "voiture", "mensch*", "text", "auto", "schrift*", "scritta",
        "testo", "pessoa*", "carro", "persoon", "tekst", "osob*", "kisi*", "yazi*", "человек*",
        "текст*", "شخص", "النص", "व्यक्ति", "人", "文字", "電線", "电线", "사람", "글자", "คน",
        "người", "orang", "tulisan",
    ],
)

#: Corners and sides, for ``erase`` and ``remove_watermark`` regions.
CORNERS: dict[str, tuple[str, ...]] = {
    "top-left": (
        "top left", "top-left", "upper left", "arriba a la izquierda", "en haut a gauche",
        "oben links", "in alto a sinistra", "superior esquerdo", "linksboven", "左上",
        "왼쪽 위", "слева сверху", "сверху слева", "левом верхнем",
    ),
    "top-right": (
        "top right", "top-right", "upper right", "arriba a la derecha", "en haut a droite",
        "oben rechts", "in alto a destra", "superior direito", "rechtsboven", "右上",
        "오른쪽 위", "справа сверху", "сверху справа", "правом верхнем",
    ),
    "bottom-left": (
        "bottom left", "bottom-left", "lower left", "abajo a la izquierda", "en bas a gauche",
        "unten links", "in basso a sinistra", "inferior esquerdo", "linksonder", "左下",
        "왼쪽 아래", "слева снизу", "снизу слева", "левом нижнем",
    ),
    "bottom-right": (
        "bottom right", "bottom-right", "lower right", "abajo a la derecha", "en bas a droite",
        "unten rechts", "in basso a destra", "inferior direito", "rechtsonder", "右下",
        "오른쪽 아래", "справа снизу", "снизу справа", "правом нижнем",
    ),
}
# fmt: on
