"""Forms of Go, Ruby, PHP and Perl library source (and the manual pages built from it) that sit
where a credential would but are something else, each next to the credential of the same shape
that must still be found: seen on Debian's golang-*-dev, ruby-*, php-* and lib*-perl packages."""

from __future__ import annotations

import pytest

from scanner.matcher import Matcher
from testing.scan import rule_secrets


@pytest.mark.parametrize(
    ("text", "path"),
    [
        # a Go struct's fields and their pointer types
        ("type Client struct {\n\tPrivateKey  *rsa.PrivateKey\n}\n", "pkg/client.go"),
        ("type Client struct {\n\tDeployTokens   *DeployTokensService\n}\n", "pkg/client.go"),
        # a format string, a Go enumeration constant, an operation name versioned by a date
        ('return fmt.Errorf("cannot fetch token: %v\\nResponse: %s", st, b)\n', "pkg/t.go"),
        ('\tStatusPostpass = "POSTPASS"\n', "pkg/enums.go"),
        ('const opCreateKeyGroup = "CreateKeyGroup2021_04_30"\n', "pkg/api.go"),
        # a host and a port after a server setting's name
        ("// default for Kpasswd_server = admin_server:464\n", "pkg/conf.go"),
        # Ruby: a class path in a comment, a symbol, an HTTP header's name
        ("# See {Kgfake::Auth::WebAuthorizer#get_credentials}\n", "lib/kg/web.rb"),
        ("# with the +Kgfake::SecretStoring::SHA256+ strategy.\n", "lib/kg/init.rb"),
        ("@version_key = 'X-KgFake-Compute-API-Version'\n", "lib/kg/compute.rb"),
        # PHP: a variable assigned to a bind password setting, a form field's name
        ("$this->_config['bindpw'] = $password;\n", "src/Ldap.php"),
        ("'password_parameter' => '_password',\n", "src/FormLogin.php"),
        # Perl: a reference to a subroutine
        ("    pass => \\&fetch_password,\n", "lib/Kg/SASL.pod"),
        # manual pages: pod2man's small capitals, escaped hyphens and backslashes
        ('.IP "new ( Host => \\s-1HOST,\\s0 Secret => \\s-1SECRET\\s0 )" 4\n', "man3/Kg.3pm"),
        ("\\&  my $auth = Kg::OAuth2::Profile::WebServer\\->new(...);\n", "man3/Kg.3pm"),
        ("\\&     pass => \\e&fetch_password,\n", "man3/Kg.3pm"),
        # a ChangeLog's list of changed files
        ("\t* contrib/mod_kg_passwd.c: Bug#4321 - fix the digest\n", "doc/ChangeLog"),
        ("\ttests/t/lib/Kg/mod_kg_passwd.pm: Additional tests\n", "doc/ChangeLog"),
        ("\t* NEWS, contrib/kgpasswd: Bug#3210 - kgpasswd utility fails\n", "doc/ChangeLog"),
        # a Dovecot passwd-file's uid, gid and home after a stand-in password
        ("user:{plain}pass:1000:1000::/home/user::userdb_mail=maildir:~/Mail\n", "wiki/Q.txt"),
        # a SASL PLAIN exchange whose password names the field
        ("C: AUTH PLAIN AHVzZXIAcGFzcw==\n", "tests/smtp_test.go"),
    ],
)
def test_library_source_forms_are_not_reported(
    builtin_matcher: Matcher, text: str, path: str
) -> None:
    assert rule_secrets(builtin_matcher, text, path) == set()


@pytest.mark.parametrize(
    ("text", "path", "rule", "secret"),
    [
        # gofmt aligns a composite literal's values: many blanks after the colon
        (
            'want := &Runner{\n\tID:             7,\n\tToken:          "Vb7Kq2Lm9Xz4Rt8Wp3Nc",\n}',
            "pkg/runners_test.go",
            "generic.api-key",
            "Vb7Kq2Lm9Xz4Rt8Wp3Nc",
        ),
        (
            'cfg := &Config{\n\tUser:         "svc",\n\tPassword:     "Mx6!kTq2vLp9",\n}\n',
            "pkg/conn.go",
            "generic.password",
            "Mx6!kTq2vLp9",
        ),
        # the same settings holding credentials
        (
            "\tPrivateKey  Kq7vTz2mPw9xLm4R\n",
            "conf/app.properties",
            "generic.space-assignment-bare",
            "Kq7vTz2mPw9xLm4R",
        ),
        (
            "$this->_config['bindpw'] = 'Kg7.fake_Pw9x';\n",
            "src/Ldap.php",
            "ldap.bind-password",
            "Kg7.fake_Pw9x",
        ),
        ("    pass => 'Wq8#zLm3Tk9p',\n", "lib/Kg/Client.pm", "generic.password", "Wq8#zLm3Tk9p"),
        (
            "kgalice:{PLAIN}Tq8FakeKg-mail7:1000:1000::/home/kgalice\n",
            "etc/dovecot/users",
            "dovecot.passwd-file-plain",
            "Tq8FakeKg-mail7",
        ),
        # a SASL PLAIN exchange with a password: base64 of "\0kgalice\0Kq7vTz2mPw9x"
        (
            "C: AUTH PLAIN AGtnYWxpY2UAS3E3dlR6Mm1Qdzl4\n",
            "logs/smtp.log",
            "smtp.auth-plain",
            "AGtnYWxpY2UAS3E3dlR6Mm1Qdzl4",
        ),
        # an rclone on-the-fly remote with its obscured password
        (
            "rclone lsf :ftp,host=ftp.kg.invalid,user=deploy,pass=Wr7kGFakeObs_cured3Vn:\n",
            "scripts/sync.sh",
            "rclone.connection-string-password",
            "Wr7kGFakeObs_cured3Vn",
        ),
    ],
)
def test_the_same_settings_with_credentials_are_reported(
    builtin_matcher: Matcher, text: str, path: str, rule: str, secret: str
) -> None:
    assert (rule, secret) in rule_secrets(builtin_matcher, text, path)
