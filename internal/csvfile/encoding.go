package csvfile

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// width says how many input bytes a decoded character stood for, so that
// Reader.Offset counts bytes of the file, not of the decoded text.
type width int

const (
	// sameWidth: the text is read as it is (UTF-8).
	sameWidth width = iota
	// singleByte: one input byte per character.
	singleByte
	// utf16Width: two bytes per character, four outside the BMP.
	utf16Width
	// multiByte: one byte per ASCII character, two for others (the East
	// Asian encodings: exact for most text, close for the rest).
	multiByte
)

// codec is a supported encoding.
type codec struct {
	name  string
	enc   encoding.Encoding // nil for UTF-8
	width width
	// bom is the byte order mark a file in this encoding may start with.
	bom string
	// other is the BOM of the opposite byte order (UTF-16), which wins
	// over the chosen one: a BOM is certain.
	other string
	alt   encoding.Encoding
}

const (
	bomUTF8    = "\xef\xbb\xbf"
	bomUTF16LE = "\xff\xfe"
	bomUTF16BE = "\xfe\xff"
)

var (
	utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16BE = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
)

var codecs = map[string]codec{
	"utf-8":        {name: "utf-8", bom: bomUTF8},
	"utf-8-bom":    {name: "utf-8-bom", bom: bomUTF8},
	"utf-16le":     {name: "utf-16le", enc: utf16LE, width: utf16Width, bom: bomUTF16LE, other: bomUTF16BE, alt: utf16BE},
	"utf-16be":     {name: "utf-16be", enc: utf16BE, width: utf16Width, bom: bomUTF16BE, other: bomUTF16LE, alt: utf16LE},
	"windows-1252": {name: "windows-1252", enc: charmap.Windows1252, width: singleByte},
	"windows-1250": {name: "windows-1250", enc: charmap.Windows1250, width: singleByte},
	"windows-1251": {name: "windows-1251", enc: charmap.Windows1251, width: singleByte},
	"windows-1253": {name: "windows-1253", enc: charmap.Windows1253, width: singleByte},
	"windows-1254": {name: "windows-1254", enc: charmap.Windows1254, width: singleByte},
	"windows-1255": {name: "windows-1255", enc: charmap.Windows1255, width: singleByte},
	"windows-1256": {name: "windows-1256", enc: charmap.Windows1256, width: singleByte},
	"iso-8859-2":   {name: "iso-8859-2", enc: charmap.ISO8859_2, width: singleByte},
	"iso-8859-5":   {name: "iso-8859-5", enc: charmap.ISO8859_5, width: singleByte},
	"iso-8859-6":   {name: "iso-8859-6", enc: charmap.ISO8859_6, width: singleByte},
	"iso-8859-7":   {name: "iso-8859-7", enc: charmap.ISO8859_7, width: singleByte},
	"iso-8859-8":   {name: "iso-8859-8", enc: charmap.ISO8859_8, width: singleByte},
	"iso-8859-15":  {name: "iso-8859-15", enc: charmap.ISO8859_15, width: singleByte},
	"koi8-r":       {name: "koi8-r", enc: charmap.KOI8R, width: singleByte},
	"shift_jis":    {name: "shift_jis", enc: japanese.ShiftJIS, width: multiByte},
	"euc-jp":       {name: "euc-jp", enc: japanese.EUCJP, width: multiByte},
	"gb18030":      {name: "gb18030", enc: simplifiedchinese.GB18030, width: multiByte},
	"big5":         {name: "big5", enc: traditionalchinese.Big5, width: multiByte},
	"euc-kr":       {name: "euc-kr", enc: korean.EUCKR, width: multiByte},
}

// aliases are other names people and tools give the same encodings.
var aliases = map[string]string{
	"utf8": "utf-8", "utf-8-sig": "utf-8-bom", "utf8bom": "utf-8-bom", "utf-8bom": "utf-8-bom",
	"utf-16": "utf-16le", "utf16": "utf-16le", "utf16le": "utf-16le", "utf16be": "utf-16be", "ucs-2": "utf-16le",
	"latin1": "windows-1252", "latin-1": "windows-1252", "iso-8859-1": "windows-1252", "iso8859-1": "windows-1252",
	"cp1252": "windows-1252", "ansi": "windows-1252", "us-ascii": "utf-8", "ascii": "utf-8",
	"cp1250": "windows-1250", "cp1251": "windows-1251", "cp1253": "windows-1253", "cp1254": "windows-1254",
	"cp1255": "windows-1255", "cp1256": "windows-1256", "iso-8859-9": "windows-1254", "latin2": "iso-8859-2",
	"iso-8859-8-i": "iso-8859-8", "latin9": "iso-8859-15", "sjis": "shift_jis", "shift-jis": "shift_jis",
	"cp932": "shift_jis", "windows-31j": "shift_jis", "gbk": "gb18030", "gb2312": "gb18030", "gb-18030": "gb18030",
	"big-5": "big5", "cp949": "euc-kr",
}

// lookupCodec finds an encoding by name or alias, in any case; "" is
// UTF-8.
func lookupCodec(name string) (codec, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		n = "utf-8"
	}
	if a, ok := aliases[n]; ok {
		n = a
	}
	c, ok := codecs[n]
	if !ok {
		return codec{}, fmt.Errorf("%w: encoding %q", ErrFormat, name)
	}
	return c, nil
}

// inputBytes is how many bytes of the file the decoded text b stood for.
func (w width) inputBytes(b []byte) int64 {
	if w == sameWidth {
		return int64(len(b))
	}
	// ASCII, most of most files, eight bytes at a time.
	var n int64
	perASCII := int64(1)
	if w == utf16Width {
		perASCII = 2
	}
	for len(b) > 0 {
		if len(b) >= 8 && binary.LittleEndian.Uint64(b)&0x8080808080808080 == 0 {
			n += 8 * perASCII
			b = b[8:]
			continue
		}
		c := b[0]
		b = b[1:]
		switch {
		case c < 0x80:
			n += perASCII
		case c < 0xc0:
			// A continuation byte: counted with its first byte.
		case w == singleByte:
			n++
		case c >= 0xf0:
			n += 4
		default:
			n += 2
		}
	}
	return n
}
