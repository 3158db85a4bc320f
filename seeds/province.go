package seeds

import (
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// DateLayout is how seed files write a day.
const DateLayout = "2006-01-02"

// A Province is everything loaded for one province: its administrative
// structures over time, how one led to the next, its agencies and the
// jurisdiction table. Units are identified by Key (code and first day),
// because a code is reused: 11953 is Phường Hiến Nam until 30 June 2025
// and Phường Phố Hiến since.
type Province struct {
	Code, Name string
	Dir        string
	Structures []Structure
	// Units: the province first, then every unit after its parent.
	Units        []Unit
	Successions  []Succession
	Agencies     []Agency
	Jurisdiction []JurisdictionRow
	// Unplaced lists units that ended without a known successor.
	Unplaced []string
	// OutOfScope counts merger rows that name units of a former province
	// the product never served; they are checked but not loaded.
	OutOfScope int

	byKey map[string]int
}

// Structure is one administrative structure of a province: the units valid
// together over a span of time.
type Structure struct {
	ID        string
	Label     string
	LabelEn   string
	ValidFrom time.Time
	ValidTo   *time.Time
}

// Unit is an administrative unit with its validity.
type Unit struct {
	Code, Name, Level string
	// Structure is "" for the province, which spans every structure.
	Structure string
	ParentKey string
	ValidFrom time.Time
	ValidTo   *time.Time
	Remote    bool
}

// Key identifies a unit: its code and its first day.
func (u Unit) Key() string { return UnitKey(u.Code, u.ValidFrom) }

// UnitKey is the key of the unit with code that took effect on from.
func UnitKey(code string, from time.Time) string { return code + "@" + from.Format(DateLayout) }

// ValidOn reports whether the unit exists on day d.
func (u Unit) ValidOn(d time.Time) bool { return validOn(u.ValidFrom, u.ValidTo, d) }

func validOn(from time.Time, to *time.Time, d time.Time) bool {
	return !d.Before(from) && (to == nil || !d.After(*to))
}

// Succession says that from (a unit key) became, in whole or in part, to
// on the day Effective.
type Succession struct {
	From, To  string
	Effective time.Time
	// Portion is full, partial or remaining.
	Portion string
	// Main marks the one successor a unit's cases count under.
	Main     bool
	Verified bool
	Basis    string
}

// Agency is an agency on its unit, with the days it acts.
type Agency struct {
	Code, Type, Name, NameEn string
	UnitKey                  string
	ValidFrom                time.Time
	ValidTo                  *time.Time
	// Jurisdiction is how generated jurisdiction rows treat a template
	// agency: "" (primary on its unit), "alternative" or "none".
	Jurisdiction string
	// Template marks an agency made from a template, one per unit.
	Template bool
}

// JurisdictionRow says that agency (a code) serves the communes under unit
// (a unit key) for one agency type, in one structure, over a span of days.
type JurisdictionRow struct {
	Structure string
	UnitKey   string
	Type      string
	Agency    string
	Primary   bool
	Verified  bool
	ValidFrom time.Time
	ValidTo   *time.Time
	Source    string
}

// Provinces loads every province shipped under seeds/provinces.
func Provinces() ([]*Province, error) {
	dirs, err := fs.ReadDir(files, "provinces")
	if err != nil {
		return nil, err
	}
	var out []*Province
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		p, err := LoadProvince(files, path.Join("provinces", d.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

type provinceFile struct {
	Province struct {
		Code      string `yaml:"code"`
		Name      string `yaml:"name"`
		ValidFrom string `yaml:"valid_from"`
	} `yaml:"province"`
	Structures []struct {
		ID              string   `yaml:"id"`
		Label           string   `yaml:"label"`
		LabelEn         string   `yaml:"label_en"`
		Units           string   `yaml:"units"`
		ValidFrom       string   `yaml:"valid_from"`
		ValidTo         string   `yaml:"valid_to"`
		JurisdictionCSV string   `yaml:"jurisdiction_csv"`
		Remote          []string `yaml:"remote"`
		Changes         []struct {
			File      string `yaml:"file"`
			Effective string `yaml:"effective"`
			Basis     string `yaml:"basis"`
		} `yaml:"changes"`
		Merger *struct {
			File              string            `yaml:"file"`
			From              string            `yaml:"from"`
			Basis             string            `yaml:"basis"`
			MainPart          string            `yaml:"main_part"`
			MainPartVerified  bool              `yaml:"main_part_verified"`
			MainPartOverrides map[string]string `yaml:"main_part_overrides"`
		} `yaml:"merger"`
	} `yaml:"structures"`
	Agencies     string   `yaml:"agencies"`
	Jurisdiction []string `yaml:"jurisdiction"`
}

type agencyFile struct {
	Templates []struct {
		Structure string           `yaml:"structure"`
		Level     string           `yaml:"level"`
		Agencies  []agencyTemplate `yaml:"agencies"`
	} `yaml:"templates"`
	Agencies []agencyTemplate `yaml:"agencies"`
}

type agencyTemplate struct {
	Code         string `yaml:"code"`
	Unit         string `yaml:"unit"`
	Type         string `yaml:"type"`
	Name         string `yaml:"name"`
	NameEn       string `yaml:"name_en"`
	ValidFrom    string `yaml:"valid_from"`
	ValidTo      string `yaml:"valid_to"`
	Jurisdiction string `yaml:"jurisdiction"`
}

type jurisdictionFile struct {
	Rows []struct {
		Structure string `yaml:"structure"`
		Unit      string `yaml:"unit"`
		UnitAt    string `yaml:"unit_at"`
		Type      string `yaml:"type"`
		Agency    string `yaml:"agency"`
		Primary   *bool  `yaml:"primary"`
		Verified  *bool  `yaml:"verified"`
		ValidFrom string `yaml:"valid_from"`
		ValidTo   string `yaml:"valid_to"`
		Source    string `yaml:"source"`
	} `yaml:"rows"`
}

// loader builds a Province, indexing what it has read.
type loader struct {
	fsys  fs.FS
	dir   string
	p     *Province
	units map[string]int // key → index in p.Units
	// byCode lists the keys of every unit with a code, in load order.
	byCode   map[string][]string
	agencies map[string]int
	file     provinceFile
}

// LoadProvince reads the province in dir of fsys: its province.yaml and
// the files it names.
func LoadProvince(fsys fs.FS, dir string) (*Province, error) {
	l, err := loadBase(fsys, dir)
	if err != nil {
		return nil, err
	}
	for _, name := range l.file.Jurisdiction {
		if err := l.loadJurisdiction(name); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Join(dir, name), err)
		}
	}
	return l.p, nil
}

// loadBase reads the units, successions and agencies, but not the
// jurisdiction files (which are generated from them).
func loadBase(fsys fs.FS, dir string) (*loader, error) {
	l := &loader{fsys: fsys, dir: dir, p: &Province{Dir: dir}, units: map[string]int{}, byCode: map[string][]string{},
		agencies: map[string]int{}}
	if err := l.yaml("province.yaml", &l.file); err != nil {
		return nil, err
	}
	f := l.file
	from, err := day(f.Province.ValidFrom)
	if err != nil {
		return nil, fmt.Errorf("%s/province.yaml: province.valid_from: %w", dir, err)
	}
	l.p.Code, l.p.Name = f.Province.Code, f.Province.Name
	l.add(Unit{Code: f.Province.Code, Name: f.Province.Name, Level: "province", ValidFrom: from})
	for _, s := range f.Structures {
		if err := l.loadStructure(s.ID, s.Label, s.LabelEn, s.Units, s.ValidFrom, s.ValidTo, s.Remote); err != nil {
			return nil, fmt.Errorf("%s: structure %s: %w", dir, s.ID, err)
		}
		for _, ch := range s.Changes {
			if err := l.loadChanges(s.ID, ch.File, ch.Effective, ch.Basis); err != nil {
				return nil, fmt.Errorf("%s: %w", path.Join(dir, ch.File), err)
			}
		}
		if m := s.Merger; m != nil {
			if err := l.loadMerger(s.ID, m.From, m.File, m.Basis, m.MainPart, m.MainPartVerified, m.MainPartOverrides); err != nil {
				return nil, fmt.Errorf("%s: %w", path.Join(dir, m.File), err)
			}
		}
	}
	if err := l.loadAgencies(f.Agencies); err != nil {
		return nil, fmt.Errorf("%s: %w", path.Join(dir, f.Agencies), err)
	}
	return l, nil
}

func (l *loader) yaml(name string, v any) error {
	b, err := fs.ReadFile(l.fsys, path.Join(l.dir, name))
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path.Join(l.dir, name), err)
	}
	return nil
}

// csv reads a CSV file with a header row into maps by column name.
func (l *loader) csv(name string, want ...string) ([]map[string]string, error) {
	f, err := l.fsys.Open(path.Join(l.dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	for _, w := range want {
		found := false
		for _, h := range header {
			found = found || h == w
		}
		if !found {
			return nil, fmt.Errorf("%s: no column %q", name, w)
		}
	}
	var out []map[string]string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		m := map[string]string{}
		for i, h := range header {
			if !utf8.ValidString(rec[i]) || strings.ContainsRune(rec[i], 0) {
				return nil, fmt.Errorf("%s:%d: column %s is not valid text", name, line, h)
			}
			m[h] = strings.TrimSpace(rec[i])
		}
		out = append(out, m)
	}
}

func (l *loader) add(u Unit) {
	l.units[u.Key()] = len(l.p.Units)
	l.byCode[u.Code] = append(l.byCode[u.Code], u.Key())
	l.p.Units = append(l.p.Units, u)
}

func (l *loader) unit(key string) *Unit {
	i, ok := l.units[key]
	if !ok {
		return nil
	}
	return &l.p.Units[i]
}

// at returns the unit with code valid on day d, or nil.
func (l *loader) at(code string, d time.Time) *Unit {
	for _, k := range l.byCode[code] {
		if u := l.unit(k); u.ValidOn(d) {
			return u
		}
	}
	return nil
}

func (l *loader) loadStructure(id, label, labelEn, file, fromS, toS string, remote []string) error {
	from, err := day(fromS)
	if err != nil {
		return fmt.Errorf("valid_from: %w", err)
	}
	to, err := optDay(toS)
	if err != nil {
		return fmt.Errorf("valid_to: %w", err)
	}
	l.p.Structures = append(l.p.Structures, Structure{ID: id, Label: label, LabelEn: labelEn, ValidFrom: from, ValidTo: to})
	rows, err := l.csv(file, "code", "name", "level", "parent_code")
	if err != nil {
		return err
	}
	remoteSet := map[string]bool{}
	for _, c := range remote {
		remoteSet[c] = true
	}
	for i, r := range rows {
		if r["level"] == "province" {
			if r["code"] != l.p.Code {
				return fmt.Errorf("%s:%d: province %s, but the province is %s", file, i+2, r["code"], l.p.Code)
			}
			continue
		}
		if r["level"] != "district" && r["level"] != "commune" {
			return fmt.Errorf("%s:%d: unknown level %q", file, i+2, r["level"])
		}
		parent := l.at(r["parent_code"], from)
		if parent == nil || (parent.Structure != id && parent.Level != "province") {
			return fmt.Errorf("%s:%d: unit %s: parent %s must come before it", file, i+2, r["code"], r["parent_code"])
		}
		if l.at(r["code"], from) != nil {
			return fmt.Errorf("%s:%d: unit %s twice", file, i+2, r["code"])
		}
		l.add(Unit{Code: r["code"], Name: r["name"], Level: r["level"], Structure: id, ParentKey: parent.Key(),
			ValidFrom: from, ValidTo: to, Remote: remoteSet[r["code"]]})
	}
	return nil
}

// loadChanges applies a change within a structure: every listed unit ends
// the day before it takes effect, and each successor that is not a unit
// already (same code and name) starts on that day under the same parent.
func (l *loader) loadChanges(structure, file, effS, basis string) error {
	eff, err := day(effS)
	if err != nil {
		return fmt.Errorf("effective: %w", err)
	}
	before := eff.AddDate(0, 0, -1)
	rows, err := l.csv(file, "old_code", "old_name", "successor_code", "successor_name", "status", "basis")
	if err != nil {
		return err
	}
	type pending struct {
		from   string
		row    map[string]string
		parent string
	}
	var succ []pending
	for i, r := range rows {
		old := l.at(r["old_code"], before)
		if old == nil || old.Structure != structure || old.Name != r["old_name"] {
			return fmt.Errorf("line %d: no unit %s %q on %s", i+2, r["old_code"], r["old_name"], before.Format(DateLayout))
		}
		if old.ValidTo != nil && old.ValidTo.Before(before) {
			return fmt.Errorf("line %d: unit %s ended before %s", i+2, old.Code, before.Format(DateLayout))
		}
		succ = append(succ, pending{from: old.Key(), row: r, parent: old.ParentKey})
	}
	// End every listed unit first, so that a successor with a reused code
	// can take effect after it.
	end := before
	for _, s := range succ {
		l.unit(s.from).ValidTo = &end
	}
	for _, s := range succ {
		r := s.row
		if r["successor_code"] == "" {
			l.p.Unplaced = append(l.p.Unplaced, s.from)
			continue
		}
		to := l.at(r["successor_code"], eff)
		if to == nil {
			// A continuing unit with the same code and name, or a new one.
			if cont := l.at(r["successor_code"], before); cont != nil && cont.Name == r["successor_name"] && cont.Key() != s.from {
				to = cont
			} else {
				old := l.unit(s.from)
				l.add(Unit{Code: r["successor_code"], Name: r["successor_name"], Level: old.Level, Structure: structure,
					ParentKey: s.parent, ValidFrom: eff, ValidTo: l.structureEnd(structure)})
				to = l.unit(UnitKey(r["successor_code"], eff))
			}
		}
		if to.Name != r["successor_name"] {
			return fmt.Errorf("successor %s is %q, not %q", to.Code, to.Name, r["successor_name"])
		}
		verified := r["status"] == "verified" || r["status"] == "code-retained"
		l.p.Successions = append(l.p.Successions, Succession{From: s.from, To: to.Key(), Effective: eff, Portion: "full",
			Main: true, Verified: verified, Basis: strings.TrimSpace(basis + "; " + r["status"] + ": " + r["basis"])})
	}
	return nil
}

func (l *loader) structureEnd(id string) *time.Time {
	for _, s := range l.p.Structures {
		if s.ID == id {
			return s.ValidTo
		}
	}
	return nil
}

// loadMerger links every unit of the earlier structure on the day before
// the new one to the new units it went into.
func (l *loader) loadMerger(structure, fromStructure, file, basis, mainPart string, mainVerified bool, overrides map[string]string) error {
	var eff time.Time
	for _, s := range l.p.Structures {
		if s.ID == structure {
			eff = s.ValidFrom
		}
	}
	before := eff.AddDate(0, 0, -1)
	rows, err := l.csv(file, "new_code", "new_name", "old_code", "old_name", "old_district_code", "portion")
	if err != nil {
		return err
	}
	districts := map[string]bool{}
	for _, u := range l.p.Units {
		if u.Structure == fromStructure && u.Level == "district" {
			districts[u.Code] = true
		}
	}
	linked := map[string]bool{}
	for i, r := range rows {
		to := l.at(r["new_code"], eff)
		if to == nil || to.Structure != structure || to.Name != r["new_name"] {
			return fmt.Errorf("line %d: no unit %s %q on %s", i+2, r["new_code"], r["new_name"], eff.Format(DateLayout))
		}
		if !districts[r["old_district_code"]] {
			l.p.OutOfScope++
			continue
		}
		old := l.at(r["old_code"], before)
		if old == nil || old.Structure != fromStructure || old.Name != r["old_name"] {
			return fmt.Errorf("line %d: no unit %s %q on %s", i+2, r["old_code"], r["old_name"], before.Format(DateLayout))
		}
		portion := r["portion"]
		main, verified := true, true
		switch portion {
		case "full":
		case "partial", "remaining":
			want := mainPart
			if o, ok := overrides[old.Code]; ok {
				main = o == to.Code
			} else {
				main = portion == want
			}
			verified = mainVerified
		default:
			return fmt.Errorf("line %d: unknown portion %q", i+2, portion)
		}
		linked[old.Key()] = true
		l.p.Successions = append(l.p.Successions, Succession{From: old.Key(), To: to.Key(), Effective: eff, Portion: portion,
			Main: main, Verified: verified, Basis: basis})
	}
	for _, u := range l.p.Units {
		if u.Structure == fromStructure && u.Level == "commune" && u.ValidOn(before) && !linked[u.Key()] {
			return fmt.Errorf("unit %s %s existed on %s but goes into no new unit", u.Code, u.Name, before.Format(DateLayout))
		}
	}
	return nil
}

func (l *loader) loadAgencies(name string) error {
	var f agencyFile
	if err := l.yaml(name, &f); err != nil {
		return err
	}
	for _, t := range f.Templates {
		for _, u := range l.p.Units {
			if u.Structure != t.Structure || u.Level != t.Level {
				continue
			}
			for _, a := range t.Agencies {
				expand := strings.NewReplacer("{code}", u.Code, "{name}", u.Name, "{lname}", lowerFirst(u.Name),
					"{since}", u.ValidFrom.Format("2006")).Replace
				b := a
				b.Code, b.Name, b.NameEn, b.Unit = expand(a.Code), expand(a.Name), expand(a.NameEn), u.Key()
				if err := l.addAgency(b, u); err != nil {
					return err
				}
				l.p.Agencies[len(l.p.Agencies)-1].Template = true
			}
		}
	}
	for _, a := range f.Agencies {
		u := l.at(a.Unit, l.p.Units[0].ValidFrom)
		if a.ValidFrom != "" {
			d, err := day(a.ValidFrom)
			if err != nil {
				return fmt.Errorf("agency %s: valid_from: %w", a.Code, err)
			}
			u = l.at(a.Unit, d)
		}
		if u == nil {
			return fmt.Errorf("agency %s: unknown unit %s", a.Code, a.Unit)
		}
		a.Unit = u.Key()
		if err := l.addAgency(a, *u); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) addAgency(a agencyTemplate, u Unit) error {
	if _, dup := l.agencies[a.Code]; dup {
		return fmt.Errorf("agency %s twice", a.Code)
	}
	out := Agency{Code: a.Code, Type: a.Type, Name: a.Name, NameEn: a.NameEn, UnitKey: a.Unit, ValidFrom: u.ValidFrom,
		ValidTo: u.ValidTo, Jurisdiction: a.Jurisdiction}
	if a.ValidFrom != "" {
		d, err := day(a.ValidFrom)
		if err != nil {
			return fmt.Errorf("agency %s: valid_from: %w", a.Code, err)
		}
		out.ValidFrom = d
	}
	if a.ValidTo != "" {
		d, err := day(a.ValidTo)
		if err != nil {
			return fmt.Errorf("agency %s: valid_to: %w", a.Code, err)
		}
		if out.ValidTo == nil || d.Before(*out.ValidTo) {
			out.ValidTo = &d
		}
	}
	if out.ValidTo != nil && out.ValidTo.Before(out.ValidFrom) {
		return fmt.Errorf("agency %s ends before it starts", a.Code)
	}
	if !u.ValidOn(out.ValidFrom) {
		return fmt.Errorf("agency %s starts on %s, when unit %s does not exist", a.Code, out.ValidFrom.Format(DateLayout), u.Code)
	}
	switch a.Jurisdiction {
	case "", "alternative", "none":
	default:
		return fmt.Errorf("agency %s: jurisdiction %q is not alternative or none", a.Code, a.Jurisdiction)
	}
	l.agencies[a.Code] = len(l.p.Agencies)
	l.p.Agencies = append(l.p.Agencies, out)
	return nil
}

// Agency returns the agency with code, or nil.
func (p *Province) Agency(code string) *Agency {
	for i := range p.Agencies {
		if p.Agencies[i].Code == code {
			return &p.Agencies[i]
		}
	}
	return nil
}

// Unit returns the unit with key, or nil.
func (p *Province) Unit(key string) *Unit {
	if len(p.byKey) != len(p.Units) {
		p.byKey = make(map[string]int, len(p.Units))
		for i, u := range p.Units {
			p.byKey[u.Key()] = i
		}
	}
	i, ok := p.byKey[key]
	if !ok {
		return nil
	}
	return &p.Units[i]
}

// UnitAt returns the unit with code valid on day d, or nil.
func (p *Province) UnitAt(code string, d time.Time) *Unit {
	for i := range p.Units {
		if p.Units[i].Code == code && p.Units[i].ValidOn(d) {
			return &p.Units[i]
		}
	}
	return nil
}

func (l *loader) loadJurisdiction(name string) error {
	var f jurisdictionFile
	if err := l.yaml(name, &f); err != nil {
		return err
	}
	for i, r := range f.Rows {
		var st *Structure
		for j := range l.p.Structures {
			if l.p.Structures[j].ID == r.Structure {
				st = &l.p.Structures[j]
			}
		}
		if st == nil {
			return fmt.Errorf("row %d: unknown structure %q", i+1, r.Structure)
		}
		at := st.ValidFrom
		if r.UnitAt != "" {
			d, err := day(r.UnitAt)
			if err != nil {
				return fmt.Errorf("row %d: unit_at: %w", i+1, err)
			}
			at = d
		}
		u := l.at(r.Unit, at)
		if u == nil || (u.Structure != r.Structure && u.Level != "province") {
			return fmt.Errorf("row %d: no unit %s of structure %s on %s", i+1, r.Unit, r.Structure, at.Format(DateLayout))
		}
		ai, ok := l.agencies[r.Agency]
		if !ok {
			return fmt.Errorf("row %d: unknown agency %s", i+1, r.Agency)
		}
		a := l.p.Agencies[ai]
		if a.Type != r.Type {
			return fmt.Errorf("row %d: agency %s is %s, not %s", i+1, a.Code, a.Type, r.Type)
		}
		row := JurisdictionRow{Structure: r.Structure, UnitKey: u.Key(), Type: r.Type, Agency: r.Agency, Primary: true,
			Verified: true, Source: r.Source}
		if r.Primary != nil {
			row.Primary = *r.Primary
		}
		if r.Verified != nil {
			row.Verified = *r.Verified
		}
		// A row holds while its structure, unit and agency all do, within
		// its own dates.
		row.ValidFrom = latest(st.ValidFrom, u.ValidFrom, a.ValidFrom)
		row.ValidTo = earliest(st.ValidTo, u.ValidTo, a.ValidTo)
		if r.ValidFrom != "" {
			d, err := day(r.ValidFrom)
			if err != nil {
				return fmt.Errorf("row %d: valid_from: %w", i+1, err)
			}
			row.ValidFrom = latest(row.ValidFrom, d)
		}
		if r.ValidTo != "" {
			d, err := day(r.ValidTo)
			if err != nil {
				return fmt.Errorf("row %d: valid_to: %w", i+1, err)
			}
			row.ValidTo = earliest(row.ValidTo, &d)
		}
		if row.ValidTo != nil && row.ValidTo.Before(row.ValidFrom) {
			return fmt.Errorf("row %d: agency %s on unit %s holds on no day", i+1, r.Agency, r.Unit)
		}
		l.p.Jurisdiction = append(l.p.Jurisdiction, row)
	}
	return nil
}

func latest(ds ...time.Time) time.Time {
	out := ds[0]
	for _, d := range ds[1:] {
		if d.After(out) {
			out = d
		}
	}
	return out
}

func earliest(ds ...*time.Time) *time.Time {
	var out *time.Time
	for _, d := range ds {
		if d != nil && (out == nil || d.Before(*out)) {
			out = d
		}
	}
	return out
}

func day(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("a date is required")
	}
	return time.Parse(DateLayout, s)
}

func optDay(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(DateLayout, s)
	return &d, err
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
