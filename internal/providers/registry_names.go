package providers

// The sandbox registry's names, from common Brazilian first names, surnames, trades and place names.

var firstNames = []string{
	"Ana", "Antônio", "Adriana", "Bruno", "Beatriz", "Carlos", "Camila", "Conceição", "Cláudio", "Débora",
	"Eduardo", "Fernanda", "Francisco", "Gabriel", "Helena", "Inês", "João", "José", "Juliana", "Letícia",
	"Lúcia", "Luís", "Marcos", "Maria", "Márcia", "Mateus", "Natália", "Otávio", "Patrícia", "Paulo",
	"Pedro", "Rafael", "Raimundo", "Renata", "Sebastião", "Sérgio", "Tânia", "Thiago", "Vânia", "Vinícius",
}

var surnames = []string{
	"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
	"Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa",
	"Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas",
	"Cardoso", "Ramos", "Gonçalves", "Teixeira", "Araújo", "Magalhães", "Guimarães", "Brandão", "Simões", "Conceição",
}

// trades are kinds of business: the word of the trading name ("Padaria"), whether it comes after the
// place name ("Boa Vista Tecnologia"), and the activity some legal names add ("… COMERCIO DE ALIMENTOS
// LTDA").
var trades = []struct {
	word, activity string
	after          bool
}{
	{"Padaria", "Comércio de Alimentos", false},
	{"Mercearia", "Comércio Varejista", false},
	{"Oficina Mecânica", "Serviços Automotivos", false},
	{"Auto Peças", "Comércio de Peças", false},
	{"Distribuidora", "Comércio Atacadista", false},
	{"Comércio de Alimentos", "", false},
	{"Tecnologia", "Serviços de Informática", true},
	{"Transportes", "Logística", false},
	{"Construtora", "Engenharia", false},
	{"Clínica Médica", "Serviços de Saúde", false},
	{"Clínica Odontológica", "Serviços Odontológicos", false},
	{"Farmácia", "Comércio de Medicamentos", false},
	{"Restaurante", "Comércio de Refeições", false},
	{"Açougue", "Comércio de Carnes", false},
	{"Papelaria", "Comércio de Artigos de Papelaria", false},
	{"Materiais de Construção", "Comércio Varejista", true},
	{"Confecções", "Indústria e Comércio de Roupas", true},
	{"Salão de Beleza", "Serviços de Estética", false},
	{"Pet Shop", "Comércio de Artigos para Animais", false},
	{"Contabilidade", "Serviços Contábeis", true},
	{"Informática", "Comércio de Equipamentos", true},
	{"Engenharia", "Serviços de Engenharia", true},
	{"Móveis", "Indústria e Comércio de Móveis", true},
	{"Lanchonete", "Comércio de Alimentos", false},
	{"Sorveteria", "Comércio de Sorvetes", false},
	{"Ótica", "Comércio de Artigos Ópticos", false},
	{"Calçados", "Comércio de Calçados", true},
	{"Hortifrúti", "Comércio de Hortifrutigranjeiros", false},
	{"Gráfica", "Serviços Gráficos", false},
	{"Academia", "Atividades Esportivas", false},
	{"Agropecuária", "Comércio de Insumos Agrícolas", false},
	{"Pizzaria", "Comércio de Alimentos", false},
	{"Imobiliária", "Serviços Imobiliários", false},
	{"Vidraçaria", "Comércio de Vidros", false},
	{"Serralheria", "Serviços de Serralheria", false},
	{"Consultoria", "Serviços Empresariais", true},
	{"Alimentos", "Indústria de Alimentos", true},
}

// places are the names businesses take from places, saints and good omens.
var places = []string{
	"Boa Vista", "São Jorge", "Santa Luzia", "Bela Vista", "Aparecida", "Primavera", "Esperança", "Nova Era",
	"Estrela do Sul", "São Francisco", "Santo Antônio", "Vitória", "Ipiranga", "Paraíso", "Novo Horizonte",
	"Jardim América", "Recanto", "Pioneira", "União", "Progresso", "São Cristóvão", "Itapuã", "Canaã",
	"Sol Nascente", "Bom Jesus", "São José", "Santa Rita", "Três Irmãos", "Rio Branco", "Vale Verde",
	"Monte Sião", "Central", "Nordeste", "Paulista", "Mineira", "Gaúcha", "Capixaba", "Pantanal", "Cerrado",
	"Tropical",
}
