package hclspec

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/roma-redis/roma/cluster"
	"github.com/zclconf/go-cty/cty"
)

var hostSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "address"}, {Name: "transport"}, {Name: "root"}, {Name: "service"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "ssh"}},
}

var sshSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "user"}, {Name: "port"}, {Name: "identity_file"}, {Name: "known_hosts"}},
}

// DefaultRoot is where roma keeps its files on a host unless root is set.
const DefaultRoot = "/var/lib/roma"

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

func (d *decoder) decodeHost(b *hcl.Block) {
	h := cluster.Host{Name: b.Labels[0], Transport: cluster.TransportSSH, Root: DefaultRoot}
	if prev, dup := d.ranges.hosts[h.Name]; dup {
		d.add(hcl.Diagnostics{duplicateDiag("host", h.Name, b.LabelRanges[0], prev)})
		return
	}
	d.ranges.hosts[h.Name] = b.DefRange
	if !validName(h.Name) {
		d.errorf(b.LabelRanges[0].Ptr(), "Invalid host name", "A host name must start with a letter and contain only letters, digits, '-' and '_'.")
	}
	content, diags := b.Body.Content(hostSchema)
	d.add(diags)
	if a, ok := content.Attributes["transport"]; ok {
		t, diags := decodeOneOf(a, d.ctx, cluster.TransportSSH, cluster.TransportLocal)
		d.add(diags)
		if t != "" {
			h.Transport = t
		}
	}
	h.Service = cluster.ServiceSystemd
	if h.Transport == cluster.TransportLocal {
		h.Service = cluster.ServiceProcess
	}
	if a, ok := content.Attributes["service"]; ok {
		s, diags := decodeOneOf(a, d.ctx, cluster.ServiceSystemd, cluster.ServiceProcess)
		d.add(diags)
		if s != "" {
			h.Service = s
		}
	}
	d.hostAddress(&h, content, b)
	d.hostRoot(&h, content)
	if sb := d.single(content.Blocks.OfType("ssh"), "ssh"); sb != nil {
		if h.Transport == cluster.TransportLocal {
			d.warnf(sb.DefRange.Ptr(), "ssh block ignored", fmt.Sprintf("Host %q uses the local transport, so its ssh block is not used.", h.Name))
		}
		h.SSH = d.decodeSSH(sb)
	}
	d.spec.Hosts = append(d.spec.Hosts, h)
}

func (d *decoder) hostAddress(h *cluster.Host, content *hcl.BodyContent, b *hcl.Block) {
	a, ok := content.Attributes["address"]
	if !ok {
		if h.Transport == cluster.TransportLocal {
			h.Address = "127.0.0.1"
			return
		}
		d.errorf(b.DefRange.Ptr(), "Missing address", fmt.Sprintf("Host %q needs an address: the IP or DNS name its nodes bind and roma connects to.", h.Name))
		return
	}
	diags := decodeValue(a, d.ctx, cty.String, &h.Address)
	d.add(diags)
	if diags.HasErrors() {
		return
	}
	if net.ParseIP(h.Address) == nil && !hostnameRE.MatchString(h.Address) {
		d.errorf(a.Expr.Range().Ptr(), "Invalid address", fmt.Sprintf("%q is neither an IP address nor a DNS name.", h.Address))
	}
}

func (d *decoder) hostRoot(h *cluster.Host, content *hcl.BodyContent) {
	a, ok := content.Attributes["root"]
	if !ok {
		return
	}
	diags := decodeValue(a, d.ctx, cty.String, &h.Root)
	d.add(diags)
	if diags.HasErrors() {
		return
	}
	switch {
	case h.Transport == cluster.TransportLocal:
		h.Root = expandPath(d.dir, h.Root)
	case !filepath.IsAbs(h.Root):
		d.errorf(a.Expr.Range().Ptr(), "Relative root", fmt.Sprintf("The root of SSH host %q must be an absolute path on that host; got %q.", h.Name, h.Root))
	default:
		h.Root = filepath.Clean(h.Root)
	}
}

func (d *decoder) decodeSSH(b *hcl.Block) cluster.SSH {
	var s cluster.SSH
	content, diags := b.Body.Content(sshSchema)
	d.add(diags)
	if a, ok := content.Attributes["user"]; ok {
		d.add(decodeValue(a, d.ctx, cty.String, &s.User))
	}
	if a, ok := content.Attributes["port"]; ok {
		p, diags := decodeInt(a, d.ctx, 1, 65535, "port")
		d.add(diags)
		s.Port = p
	}
	for name, target := range map[string]*string{"identity_file": &s.IdentityFile, "known_hosts": &s.KnownHosts} {
		if a, ok := content.Attributes[name]; ok {
			diags := decodeValue(a, d.ctx, cty.String, target)
			d.add(diags)
			if !diags.HasErrors() {
				*target = expandPath(d.dir, *target)
			}
		}
	}
	return s
}
