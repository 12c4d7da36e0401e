package mailpit

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/mailer"
)

// Sender is the From address Configure sets.
const Sender = "office@cedarheights.test"

// Configure points app's SMTP settings (in memory) at this server. A
// *tests.TestApp normally swaps every mailer for its TestMailer; here mail
// goes to mailpit instead, through PocketBase's own SMTP client.
func (s *Server) Configure(app core.App) {
	settings := app.Settings()
	settings.SMTP = core.SMTPConfig{Enabled: true, Host: s.SMTPHost, Port: s.SMTPPort}
	settings.Meta.SenderAddress = Sender
	if _, ok := app.(*tests.TestApp); ok {
		app.OnMailerSend().Bind(&hook.Handler[*core.MailerEvent]{
			Id: "mailpitRealSMTP",
			// After the TestApp's own handler (-99999), which sets TestMailer.
			Priority: -99998,
			Func: func(e *core.MailerEvent) error {
				smtp := e.App.Settings().SMTP
				e.Mailer = &mailer.SMTPClient{
					Host: smtp.Host, Port: smtp.Port, Username: smtp.Username, Password: smtp.Password,
					TLS: smtp.TLS, AuthMethod: smtp.AuthMethod, LocalName: smtp.LocalName,
				}
				return e.Next()
			},
		})
	}
}
