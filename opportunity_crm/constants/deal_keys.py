"""Plain data of the deal-registration matching keys (`opportunity_crm.channel.deal_keys`)."""

# E-mail domains anyone can have: two people with a gmail.com address are not the same company. An address
# there is a person's own account: the key is the whole address (`deal_keys.email_key`).
FREE_MAIL_DOMAINS = frozenset(
	{
		"gmail.com",
		"googlemail.com",
		"yahoo.com",
		"yahoo.co.id",
		"ymail.com",
		"rocketmail.com",
		"outlook.com",
		"outlook.co.id",
		"hotmail.com",
		"hotmail.co.id",
		"live.com",
		"msn.com",
		"icloud.com",
		"me.com",
		"mac.com",
		"aol.com",
		"gmx.com",
		"gmx.net",
		"mail.com",
		"proton.me",
		"protonmail.com",
		"zoho.com",
		"yandex.com",
		"qq.com",
		"163.com",
		"126.com",
		"rediffmail.com",
		"telkom.net",
		"plasa.com",
		"indo.net.id",
	}
)

# Shared platforms: one registrable domain, many unrelated businesses. A website there names the business
# by its account, and the key is that account or nothing (`deal_keys.website_key`). Indonesian small
# businesses often have nothing but such an address. The registrable domain comes from the Public Suffix
# List (`publicsuffixlist`, its bundled copy), whose private section already makes `tokokue.blogspot.com`,
# `tokokue.github.io` or `tokokue.myshopify.com` a domain of its own; these are the platforms it does not
# know as shared.

# The account is the first path segment, after one of the given leading segments where a platform has
# them (unless it is a handle, `@tokokue`): instagram.com/tokokue, tiktok.com/@tokokue,
# linkedin.com/company/tokokue, youtube.com/@tokokue.
PATH_ACCOUNT_PLATFORMS = {
	"instagram.com": (),
	"facebook.com": (),
	"tokopedia.com": (),
	"shopee.co.id": (),
	"shopee.com": (),
	"bukalapak.com": ("u",),
	"lazada.co.id": ("shop",),
	"linktr.ee": (),
	"tiktok.com": (),
	"x.com": (),
	"threads.net": (),
	"youtube.com": ("c", "user", "channel"),
	"linkedin.com": ("company", "in", "school"),
	"wa.me": (),
	"t.me": (),
	"google.com": ("view", "site"),  # sites.google.com/view/tokokue
}

# The account is the label left of the platform's domain: tokokue.wordpress.com.
SUBDOMAIN_ACCOUNT_PLATFORMS = frozenset(
	{
		"blogspot.com",
		"wordpress.com",
		"weebly.com",
		"tumblr.com",
		"business.site",
		"mystrikingly.com",
		"webnode.com",
		"jimdosite.com",
		"square.site",
	}
)

# Other names of the same platform: one account, one key.
PLATFORM_ALIASES = {
	"twitter.com": "x.com",
	"fb.com": "facebook.com",
	"fb.me": "facebook.com",
	"instagr.am": "instagram.com",
	"blogspot.co.id": "blogspot.com",
	"threads.com": "threads.net",
}

# Short links and link-only hosts: nothing in the address says whose it is.
NO_ACCOUNT_PLATFORMS = frozenset(
	{
		"bit.ly",
		"s.id",
		"tinyurl.com",
		"goo.gl",
		"g.co",
		"youtu.be",
		"shp.ee",
		"tokopedia.link",
		"wa.link",
		"whatsapp.com",
		"lnk.bio",
	}
)

# Path segments that are a platform's own pages, not an account (instagram.com/p/…, x.com/i/…).
PLATFORM_PAGES = frozenset(
	{
		"p",
		"reel",
		"reels",
		"explore",
		"stories",
		"tv",
		"share",
		"sharer",
		"sharer.php",
		"groups",
		"events",
		"watch",
		"photo.php",
		"story.php",
		"permalink.php",
		"i",
		"intent",
		"home",
		"search",
		"hashtag",
		"t",
		"v",
		"video",
		"shorts",
		"playlist",
		"login",
		"signup",
		"help",
		"discover",
		"tag",
		"product",
		"products",
		"send",
	}
)

# Words of a company name that say its legal form, not who it is (lower case, without punctuation: "P.T."
# and "C.V." arrive as "pt" and "cv"). Removed wherever they stand: "PT Maju Jaya (Persero) Tbk" is
# "maju jaya".
LEGAL_FORMS = frozenset(
	{
		# Indonesia
		"pt",
		"cv",
		"tbk",
		"ud",
		"pd",
		"persero",
		"perseroan",
		"terbatas",
		"perum",
		"firma",
		"fa",
		"koperasi",
		"kop",
		"yayasan",
		# elsewhere
		"ltd",
		"limited",
		"llc",
		"llp",
		"inc",
		"incorporated",
		"corp",
		"corporation",
		"co",
		"company",
		"plc",
		"gmbh",
		"ag",
		"kg",
		"bv",
		"nv",
		"sa",
		"sarl",
		"srl",
		"spa",
		"pte",
		"sdn",
		"bhd",
		"pty",
	}
)
